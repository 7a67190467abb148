//! First run: enrollment (from the enroll screen, or at startup from flags for mass
//! rollout) and the demo sign-in.

use frontdesk_device::desk::Desk;
use tauri::{AppHandle, Manager, Runtime};

use crate::error::AppError;
use crate::events;
use crate::state::{AppState, Args, AutoSignIn, default_device_name};

/// Enrolls the desk, naming the enroll screen's field at fault on failure.
pub async fn enroll(desk: &Desk, server_url: &str, code: &str, device_name: &str) -> Result<(), AppError> {
    if server_url.trim().is_empty() {
        return Err(AppError::invalid_field("server_url", "Enter the server address"));
    }
    if code.trim().is_empty() {
        return Err(AppError::invalid_field("code", "Enter the enrollment code"));
    }
    if device_name.trim().is_empty() {
        return Err(AppError::invalid_field("device_name", "Give this desk a name"));
    }
    desk.enroll(server_url, code.trim(), device_name).await.map(drop).map_err(AppError::from_enrollment)
}

/// Runs startup provisioning in the background: enroll when the desk is not enrolled
/// and a server and code were given, then the demo sign-in when one is configured.
/// `session_state` waits for it, and reports its failure.
pub fn start<R: Runtime>(app: AppHandle<R>, args: Args, demo: Option<AutoSignIn>, file_error: Option<String>) {
    let guard = app.state::<AppState>().begin_provisioning();
    tauri::async_runtime::spawn(async move {
        let mut guard = guard;
        let state = app.state::<AppState>();
        let outcome = match file_error {
            Some(err) => Err(AppError::invalid_input(format!("The provisioning file cannot be used: {err}"))),
            None => provision(&state.desk, &args, demo).await,
        };
        if let Err(err) = &outcome {
            tracing::warn!("startup provisioning failed: {err}");
        }
        *guard = outcome.err();
        drop(guard);
        events::emit_status(&app).await;
    });
}

async fn provision(desk: &Desk, args: &Args, demo: Option<AutoSignIn>) -> Result<(), AppError> {
    if desk.identity().await.is_none()
        && let (Some(server), Some(code)) = (&args.server, &args.enroll_code)
    {
        let name = args.device_name.clone().unwrap_or_else(default_device_name);
        enroll(desk, server, code, &name).await?;
        tracing::info!("enrolled with {server} as {name}");
    }
    if let Some(demo) = demo
        && desk.identity().await.is_some()
    {
        desk.sign_in(&demo.username, &demo.password).await?;
        tracing::info!("signed in {} at startup (demo)", demo.username);
    }
    Ok(())
}

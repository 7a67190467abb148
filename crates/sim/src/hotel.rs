//! The simulated property: the server's database file and the running server (when
//! it is up), and the three devices, each with its own file, skewed clock and
//! memory of the push bodies it sent (to deliver them again later).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use frontdesk_device::desk::Desk;
use frontdesk_device::sync::WallClock;
use frontdesk_server::Store as ServerStore;
use frontdesk_server::admin::{DemoOptions, seed_demo};
use sync_core::domain::Role;
use sync_core::protocol::PushRequest;
use tempfile::TempDir;
use uuid::Uuid;

use crate::rng::Dice;
use crate::server::Server;

/// The demo staff's password.
pub const PASSWORD: &str = "sim-password";
/// The demo property's code.
pub const PROPERTY: &str = "DEMO";
/// Rooms of the demo hotel.
pub const ROOMS: u32 = 12;

/// One device of the simulation.
pub struct SimDevice {
    pub name: &'static str,
    pub user: &'static str,
    pub role: Role,
    pub path: PathBuf,
    pub clock: WallClock,
    /// How far this device's clock is from the true time.
    pub skew_minutes: i64,
    pub desk: Option<Desk>,
    pub device_id: Uuid,
    /// The device skips syncing until this step.
    pub offline_until: usize,
    /// Push bodies sent earlier, delivered again later (duplicates, out of order).
    pub sent: Vec<PushRequest>,
}

impl std::fmt::Debug for SimDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimDevice").field("name", &self.name).field("skew_minutes", &self.skew_minutes).finish()
    }
}

impl SimDevice {
    /// The open desk (a device is reopened at once after a kill).
    pub fn desk(&self) -> Result<&Desk, String> {
        self.desk.as_ref().ok_or_else(|| format!("{} has no open desk", self.name))
    }
}

/// The server side and the devices.
#[derive(Debug)]
pub struct Hotel {
    pub dir: TempDir,
    pub url: String,
    /// A store of the server's file for the simulation's own reads (codes, checks).
    pub admin: ServerStore,
    pub property: Uuid,
    pub addr: SocketAddr,
    pub server: Option<Server>,
    pub devices: Vec<SimDevice>,
}

/// The seeded demo hotel's server file, made once per process and copied for each
/// seed: seeding hashes three staff passwords, the slowest part of a seed's setup.
static DEMO: tokio::sync::Mutex<Option<(Vec<u8>, Uuid)>> = tokio::sync::Mutex::const_new(None);

async fn demo_hotel() -> Result<(Vec<u8>, Uuid), String> {
    let mut demo = DEMO.lock().await;
    if let Some(made) = demo.as_ref() {
        return Ok(made.clone());
    }
    let dir = tempfile::tempdir().map_err(|e| format!("a temp dir: {e}"))?;
    let file = dir.path().join("demo.sqlite3");
    let store = ServerStore::open(&format!("sqlite://{}", file.display()))
        .await
        .map_err(|e| format!("the server store: {e}"))?;
    let options =
        DemoOptions { property_code: PROPERTY, rooms: ROOMS, days: 10, password: PASSWORD, channel: "frontdesk_sim" };
    let hotel = seed_demo(&store, &options, Utc::now()).await.map_err(|e| format!("seeding: {e}"))?;
    // Everything into the main file, so one file is the whole database.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .map_err(|e| format!("checkpointing the demo hotel: {e}"))?;
    store.close().await;
    let image = std::fs::read(&file).map_err(|e| format!("reading the demo hotel: {e}"))?;
    *demo = Some((image.clone(), hotel.property));
    Ok((image, hotel.property))
}

fn skewed(minutes: i64) -> WallClock {
    let offset = chrono::Duration::minutes(minutes);
    Arc::new(move || Utc::now() + offset)
}

impl Hotel {
    /// A seeded demo hotel with its server up and three devices enrolled, signed
    /// in and synced.
    pub async fn open(seed: u64) -> Result<Hotel, String> {
        // Files in memory when the system has a tmpfs: a kill is simulated by dropping
        // the process's handles, which needs no fsync to be real, and the server's
        // fsync per push would otherwise be most of the run's time.
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }
            .map_err(|e| format!("a temp dir: {e}"))?;
        let file = dir.path().join("server.sqlite3");
        let (image, property) = demo_hotel().await?;
        std::fs::write(&file, image).map_err(|e| format!("writing the server's file: {e}"))?;
        let url = format!("sqlite://{}", file.display());
        let admin = ServerStore::open(&url).await.map_err(|e| format!("the server store: {e}"))?;
        let server = Server::start(&url, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = server.addr();
        let mut hotel = Hotel { dir, url, admin, property, addr, server: Some(server), devices: Vec::new() };
        let mut dice = Dice::new(seed.rotate_left(17));
        for (name, user, role) in [
            ("desk", "frontdesk", Role::FrontDesk),
            ("office", "manager", Role::Manager),
            ("floor", "housekeeping", Role::Housekeeping),
        ] {
            let skew_minutes = dice.between(-120, 120);
            let path = hotel.dir.path().join(format!("{name}.sqlite3"));
            let clock = skewed(skew_minutes);
            let desk = Desk::open_manual(&path, clock.clone()).await.map_err(|e| format!("{name} opens: {e}"))?;
            let code = frontdesk_server::auth::create_enrollment_code(
                &hotel.admin,
                PROPERTY,
                chrono::Duration::hours(1),
                Utc::now(),
            )
            .await
            .map_err(|e| format!("an enrollment code: {e}"))?;
            let identity =
                desk.enroll(&hotel.base_url(), &code, name).await.map_err(|e| format!("{name} enrolls: {e}"))?;
            desk.sign_in(user, PASSWORD).await.map_err(|e| format!("{name} signs in: {e}"))?;
            desk.sync_once(1_000).await.map_err(|e| format!("{name} first sync: {e}"))?;
            hotel.devices.push(SimDevice {
                name,
                user,
                role,
                path,
                clock,
                skew_minutes,
                desk: Some(desk),
                device_id: identity.device_id,
                offline_until: 0,
                sent: Vec::new(),
            });
        }
        Ok(hotel)
    }

    /// The server's address as the devices know it.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether the server runs.
    pub fn server_up(&self) -> bool {
        self.server.is_some()
    }

    /// Kills the server (every task, connection and request in flight).
    pub async fn kill_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.kill().await;
        }
    }

    /// Starts the server again on the same file and address.
    pub async fn start_server(&mut self) -> Result<(), String> {
        if self.server.is_none() {
            self.server = Some(Server::start(&self.url, self.addr).await?);
        }
        Ok(())
    }

    /// Kills device `index` (its desk goes away with whatever it held in memory)
    /// and starts it again from its file, signing the same user in (offline when
    /// the server is down).
    pub async fn restart_device(&mut self, index: usize, graceful: bool) -> Result<(), String> {
        let device = self.devices.get_mut(index).ok_or("no such device")?;
        if let Some(desk) = device.desk.take() {
            if graceful {
                desk.close(Duration::from_millis(50)).await;
            } else {
                drop(desk);
            }
        }
        let desk = Desk::open_manual(&device.path, device.clock.clone())
            .await
            .map_err(|e| format!("{} reopens: {e}", device.name))?;
        desk.sign_in(device.user, PASSWORD).await.map_err(|e| format!("{} signs in again: {e}", device.name))?;
        device.desk = Some(desk);
        Ok(())
    }

    /// Signs device `index` in online again if its session is offline and the
    /// server is up. Returns whether it is online.
    pub async fn ensure_online(&self, index: usize) -> Result<bool, String> {
        let device = self.devices.get(index).ok_or("no such device")?;
        let desk = device.desk()?;
        if desk.client().await.is_some() {
            return Ok(true);
        }
        if !self.server_up() {
            return Ok(false);
        }
        let user = desk.sign_in(device.user, PASSWORD).await.map_err(|e| format!("{} signs in: {e}", device.name))?;
        Ok(!user.offline)
    }

    /// Closes every desk and kills the server.
    pub async fn shutdown(&mut self) {
        for device in &mut self.devices {
            if let Some(desk) = device.desk.take() {
                desk.close(Duration::from_millis(50)).await;
            }
        }
        self.kill_server().await;
        self.admin.close().await;
    }
}

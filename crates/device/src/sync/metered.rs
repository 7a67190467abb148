//! Whether the connection is metered (a mobile hotspot, a capped line), so the
//! worker can hold syncing there when the settings say so.
//!
//! On Linux the answer is NetworkManager's `Metered` property on the system bus;
//! on Windows, the cost of the internet connection profile (a fixed or variable
//! data plan, over its limit, or roaming). Where neither answers (no
//! NetworkManager; macOS, which this module does not ask yet) the answer is
//! "unknown", and unknown never holds sync.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What the operating system says of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metered {
    Yes,
    No,
    Unknown,
}

impl Metered {
    /// NetworkManager's `NMMetered` value: 1 yes, 3 guessed yes, 2 and 4 no.
    pub fn from_network_manager(value: u32) -> Metered {
        match value {
            1 | 3 => Metered::Yes,
            2 | 4 => Metered::No,
            _ => Metered::Unknown,
        }
    }
}

/// Asks whether the connection is metered.
pub type MeteredProbe = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Metered> + Send>> + Send + Sync>;

/// The operating system's answer.
pub fn system_probe() -> MeteredProbe {
    Arc::new(|| Box::pin(ask_system()))
}

#[cfg(target_os = "linux")]
async fn ask_system() -> Metered {
    async fn network_manager() -> zbus::Result<u32> {
        let bus = zbus::Connection::system().await?;
        let proxy = zbus::Proxy::new(
            &bus,
            "org.freedesktop.NetworkManager",
            "/org/freedesktop/NetworkManager",
            "org.freedesktop.NetworkManager",
        )
        .await?;
        proxy.get_property::<u32>("Metered").await
    }
    // No system bus or no NetworkManager: nothing says the line is metered.
    network_manager().await.map_or(Metered::Unknown, Metered::from_network_manager)
}

#[cfg(windows)]
async fn ask_system() -> Metered {
    use windows::Networking::Connectivity::{NetworkCostType, NetworkInformation};
    // The WinRT calls answer at once; on a blocking thread all the same.
    let cost = tokio::task::spawn_blocking(|| {
        let cost = NetworkInformation::GetInternetConnectionProfile()?.GetConnectionCost()?;
        Ok::<_, windows::core::Error>((cost.NetworkCostType()?, cost.OverDataLimit()?, cost.Roaming()?))
    })
    .await;
    match cost {
        Ok(Ok((_, true, _) | (_, _, true))) => Metered::Yes,
        Ok(Ok((kind, ..))) if kind == NetworkCostType::Fixed || kind == NetworkCostType::Variable => Metered::Yes,
        Ok(Ok((kind, ..))) if kind == NetworkCostType::Unrestricted => Metered::No,
        // No internet profile (offline), or the system does not say.
        _ => Metered::Unknown,
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
async fn ask_system() -> Metered {
    Metered::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_managers_guesses_count_as_its_answers() {
        let read: Vec<Metered> = (0..=5).map(Metered::from_network_manager).collect();
        assert_eq!(read, [Metered::Unknown, Metered::Yes, Metered::No, Metered::Yes, Metered::No, Metered::Unknown]);
    }

    /// This machine runs no NetworkManager: the real probe answers unknown, and
    /// does not fail or hang.
    #[tokio::test]
    async fn without_network_manager_the_answer_is_unknown() {
        if std::path::Path::new("/run/NetworkManager").exists() {
            return;
        }
        let answer = tokio::time::timeout(std::time::Duration::from_secs(10), system_probe()()).await;
        assert_eq!(answer, Ok(Metered::Unknown));
    }
}

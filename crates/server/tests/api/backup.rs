//! Backups through the admin CLI, as an operator runs them: a backup taken while
//! the server serves, the machine lost, the backup restored onto a new database,
//! and the desks finding their data (and their credentials) on the restored server.

use std::path::Path;
use std::process::{Command, Output};

use frontdesk_server::{AppState, Config, Store};
use sync_core::EntityKind;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::support::{Server, fresh_postgres_database, guest_fields, postgres_admin_url, version_of};

fn admin(args: &[&str], database: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frontdesk-server"))
        .args(args)
        .args(["--database", database])
        .env_remove("FRONTDESK_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the admin CLI runs")
}

fn said(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Serves `url` on a fresh port until the returned sender is dropped.
async fn serve(url: &str) -> (String, oneshot::Sender<()>) {
    let store = Store::open(url).await.expect("the restored database opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        frontdesk_server::serve(listener, AppState::new(store, Config::default()), shutdown).await.expect("serves");
    });
    (base, stop)
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_onto_a_new_machine_with_every_record() {
    let server = Server::start().await;
    let mut desk = server.device("P1", "desk").await;
    let before = Uuid::now_v7();
    let saved = desk.insert(EntityKind::Guest, before, guest_fields("Ada", "Lovelace", "a@x.org"));
    let result = desk.push_one(saved).await;
    version_of(&result, "the guest saved before the backup applies");

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("frontdesk-backup");
    let file_arg = file.to_str().expect("utf-8 path");
    let output = admin(&["backup", "--to", file_arg], &server.database_url);
    assert!(output.status.success(), "the backup is taken while the server serves: {}", said(&output));
    assert!(said(&output).contains("2 properties"), "it says what it holds: {}", said(&output));

    let output = admin(&["backup", "--to", file_arg], &server.database_url);
    assert!(!output.status.success(), "a backup never overwrites a file");
    assert!(said(&output).contains("exists already"), "{}", said(&output));

    let after = Uuid::now_v7();
    let later = desk.insert(EntityKind::Guest, after, guest_fields("Bob", "Later", "b@x.org"));
    let result = desk.push_one(later.clone()).await;
    version_of(&result, "the guest saved after the backup applies");
    let cursor = desk.cursor_now().await;

    let new_machine = match postgres_admin_url() {
        Some(admin_url) => fresh_postgres_database(&admin_url).await,
        None => {
            // Restoring over the database of a running server is refused, and
            // leaves it as it was.
            let output = admin(&["restore", "--from", file_arg], &server.database_url);
            assert!(!output.status.success(), "a restore under a running server is refused");
            assert!(said(&output).contains("stop the server"), "and says why: {}", said(&output));
            assert_eq!(server.count("records").await, 2, "the running server's data is untouched");
            format!("sqlite://{}", dir.path().join("new-machine.sqlite3").display())
        }
    };
    // The new machine's server was installed and started once: an empty database.
    Store::open(&new_machine).await.expect("an empty database").close().await;
    drop(server);

    let output = admin(&["restore", "--from", file_arg], &new_machine);
    assert!(output.status.success(), "the backup restores: {}", said(&output));
    assert!(said(&output).contains("restored from"), "{}", said(&output));
    if !new_machine.starts_with("postgres") {
        let kept = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .any(|entry| entry.file_name().to_string_lossy().contains("new-machine.sqlite3.replaced-"));
        assert!(kept, "the database a restore replaces is kept beside it");
    }

    let (base, _stop) = serve(&new_machine).await;
    desk.base = base;
    let guests: Vec<Uuid> =
        desk.pull_all().await.iter().filter(|c| c.entity == EntityKind::Guest).map(|c| c.record_id).collect();
    assert_eq!(
        guests,
        vec![before],
        "the restored server has what the backup held (the desk's session and credentials included), \
         and not what came after it: the desk pushes that again from its outbox"
    );
    let result = desk.push_one(later).await;
    assert_eq!(version_of(&result, "the desk's later change goes to the restored server"), 1, "as a new record");
    let page = desk.pull(Some(cursor), None).await;
    assert!(
        page.changes.iter().any(|c| c.record_id == after),
        "a desk whose cursor went past the backup's end still receives what the restored server writes: \
         the restored log continues beyond any cursor handed out before"
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_backup_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("db.sqlite3").display());
    let junk = dir.path().join("junk");
    std::fs::write(&junk, "not a database").expect("write");
    let output = admin(&["restore", "--from", junk.to_str().expect("utf-8")], &database);
    assert!(!output.status.success(), "junk is not restored");
    assert!(said(&output).contains("not a SQLite database") || said(&output).contains("damaged"), "{}", said(&output));
    assert!(!Path::new(&dir.path().join("db.sqlite3")).exists(), "and no database was made or replaced");
}

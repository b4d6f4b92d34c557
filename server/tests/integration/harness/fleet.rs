//! Locations and readers, made the way a person makes them on the pages.

use super::{Browser, TestServer};
use app::connections::types::ConnectionsView;
use app::dashboard::types::ReaderDetail;
use app::fleet::types::ReadersView;

/// The organisation's first Stripe connection (the simulator one every new organisation has).
pub async fn default_connection(b: &Browser) -> String {
    let view: ConnectionsView = b.ok("list_connections", &[]).await;
    view.connections
        .first()
        .expect("default connection")
        .id
        .clone()
}

pub async fn create_location(b: &Browser, connection: &str, name: &str) -> String {
    b.ok("create_location", &location_form(connection, name))
        .await
}

/// `create_location`'s form for a San Francisco store, for tests that expect a refusal.
pub fn location_form<'a>(connection: &'a str, name: &'a str) -> [(&'a str, &'a str); 7] {
    [
        ("connection_id", connection),
        ("display_name", name),
        ("line1", "1 Market St"),
        ("city", "San Francisco"),
        ("state", "CA"),
        ("postal_code", "94105"),
        ("country", "US"),
    ]
}

pub async fn register(b: &Browser, location: &str, code: &str, label: &str) -> String {
    b.ok(
        "register_reader",
        &[
            ("location", location),
            ("registration_code", code),
            ("label", label),
        ],
    )
    .await
}

/// A new owner (signed up as `email`) with one simulated reader at a location "Cafe"; returns
/// the owner's browser and the reader's id.
pub async fn owner_with_reader(s: &TestServer, email: &str) -> (Browser, String) {
    let owner = s.user(email).await;
    let connection = default_connection(&owner).await;
    let location = create_location(&owner, &connection, "Cafe").await;
    let reader = register(&owner, &location, "simulated-wpe", "Till").await;
    (owner, reader)
}

pub async fn readers(b: &Browser, filters: &[(&str, &str)]) -> ReadersView {
    b.list("list_readers", filters).await
}

/// The reader's page.
pub async fn reader_detail(b: &Browser, reader: &str) -> ReaderDetail {
    b.ok("reader_detail", &[("id", reader)]).await
}

/// Whether the reader shows online.
pub async fn is_online(b: &Browser, reader: &str) -> bool {
    reader_detail(b, reader).await.reader.online
}

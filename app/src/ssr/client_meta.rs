//! The request's origin, which audit entries record and caller resolution carries.

/// Where a request came from; the server's middleware puts it in the request extensions.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub ip: String,
    pub user_agent: String,
    /// The request's path, for the audit of support users' reading.
    pub path: String,
}

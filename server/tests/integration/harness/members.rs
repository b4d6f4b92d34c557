//! People in an organisation: invited members and support helpers.

use super::{Browser, TestServer};
use app::members::types::InviteCreated;

/// The token at the end of an invite's link.
pub fn invite_token(invite: &InviteCreated) -> String {
    invite.link.rsplit('/').next().expect("token").to_string()
}

/// `owner` invites `email` as `role`.
pub async fn invite(owner: &Browser, email: &str, role: &str) -> InviteCreated {
    owner
        .ok("invite_member", &[("email", email), ("role", role)])
        .await
}

/// Owner `owner` invites `email` as `role`; the invitee signs up and accepts. Returns the
/// invitee's client, now working in the owner's tenant.
pub async fn join(s: &TestServer, owner: &Browser, email: &str, role: &str) -> Browser {
    let token = invite_token(&invite(owner, email, role).await);
    let b = s.user(email).await;
    let () = b.ok("accept_invite", &[("token", &token)]).await;
    b
}

/// `member` (already signed up as `email`) joins `owner`'s organisation with `role`.
pub async fn join_as_existing(owner: &Browser, member: &Browser, email: &str, role: &str) {
    let token = invite_token(&invite(owner, email, role).await);
    let r = member.call("accept_invite", &[("token", &token)]).await;
    assert!(r.status().is_success(), "accept: {}", r.status());
}

/// Signs up `email` as a helper, grants them support access to `owner`'s organisation for
/// `hours` and switches them into it; returns the helper and the organisation's id.
pub async fn support_in(
    s: &TestServer,
    owner: &Browser,
    email: &str,
    hours: &str,
) -> (Browser, String) {
    let tenant = owner.me().await.expect("owner").tenant.id;
    let helper = s.user(email).await;
    let () = owner
        .ok(
            "grant_support_access",
            &[("email", email), ("hours", hours), ("reason", "Ticket 1")],
        )
        .await;
    let r = helper
        .call("switch_tenant", &[("tenant_id", &tenant)])
        .await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "switch_tenant: {}",
        r.status()
    );
    assert_eq!(
        helper.me().await.expect("helper").tenant.id,
        tenant,
        "the helper works in the owner's organisation"
    );
    (helper, tenant)
}

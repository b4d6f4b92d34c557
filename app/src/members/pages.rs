use super::api::{
    invite_details, list_members, revealed_invite, AcceptInvite, ChangeMemberRole, InviteMember,
    RemoveMember, RevokeInvite,
};
use super::types::{InviteCreated, Member, MembersView};
use crate::components::feedback::{ActionError, ErrorView, Loading};
use crate::components::revealed;
use crate::components::url::urlencode;
use crate::model::Role;
use crate::time_fmt::datetime;
use crate::topic::Topic;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn MembersPage() -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    let revoke = ServerAction::<RevokeInvite>::new();
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let kept = revealed::kept(revealed_invite);
    let view_data = Resource::new(|| (), |_| list_members());
    view! {
        <Title text="Members"/>
        <crate::connections::SettingsTabs current="/settings/members"/>
        <ActionError value=change.value()/>
        <ActionError value=remove.value()/>
        <ActionError value=revoke.value()/>
        // Outside the live region: the link is shown once, and a refresh of the list must not
        // take it away.
        <InviteLink invite kept/>
        <crate::live::LiveRegion id="members" topics=&[Topic::Members]>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match view_data.await {
                        Ok(data) => view! { <MembersBody data invite change remove revoke/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </crate::live::LiveRegion>
    }
}

#[component]
fn MembersBody(
    data: MembersView,
    invite: ServerAction<InviteMember>,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
    revoke: ServerAction<RevokeInvite>,
) -> impl IntoView {
    let can_manage = data.can_manage;
    let owner = data.you_are_owner;
    let invites = data.invites.clone();
    view! {
        <section class="panel">
            <h2>"Members"</h2>
            <div class="table-wrap">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Joined"</th>
                            {can_manage.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                        </tr>
                    </thead>
                    <tbody>
                        {data
                            .members
                            .into_iter()
                            .map(|m| view! { <MemberRow m can_manage owner change remove/> })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        {can_manage.then(|| view! { <InviteForm invite owner/> })}
        {(can_manage && !invites.is_empty()).then(|| view! {
            <section class="panel">
                <h2>"Pending invites"</h2>
                <ul class="plain-list">
                    {invites.into_iter().map(|i| view! {
                        <li class="row-between">
                            <span>
                                <strong>{i.email.clone()}</strong>
                                {format!(" as {} · expires {}", i.role.label(), datetime(i.expires_at))}
                            </span>
                            <ActionForm action=revoke>
                                <input type="hidden" name="invite_id" value=i.id.clone()/>
                                <button type="submit" class="button small">"Withdraw"</button>
                            </ActionForm>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

#[component]
fn MemberRow(
    m: Member,
    can_manage: bool,
    owner: bool,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let role_select_id = format!("role-{}", m.user_id);
    let editable = can_manage && (owner || m.role != Role::Owner);
    view! {
        <tr>
            <td>{m.email.clone()} {m.is_you.then(|| view! { <span class="badge subtle">"you"</span> })}</td>
            <td><span class=format!("badge role-{}", m.role.as_str())>{m.role.label()}</span></td>
            <td>{datetime(m.joined_at)}</td>
            {can_manage.then(|| {
                let user_id = m.user_id.clone();
                let user_id2 = m.user_id.clone();
                let select_id = role_select_id.clone();
                view! {
                    <td class="actions">
                        {editable.then(|| view! {
                            <ActionForm action=change attr:class="inline-form">
                                <input type="hidden" name="user_id" value=user_id.clone()/>
                                <label for=select_id.clone() class="visually-hidden">{format!("Role of {}", m.email)}</label>
                                <select id=select_id.clone() name="role">
                                    {Role::ALL.into_iter().filter(|r| owner || *r != Role::Owner).map(|r| view! {
                                        <option value=r.as_str() selected=r == m.role>{r.label()}</option>
                                    }).collect_view()}
                                </select>
                                <button type="submit" class="button small">"Change role"</button>
                            </ActionForm>
                            <ActionForm action=remove attr:class="inline-form">
                                <input type="hidden" name="user_id" value=user_id2.clone()/>
                                <button type="submit" class="button small danger">"Remove"</button>
                            </ActionForm>
                        })}
                    </td>
                }
            })}
        </tr>
    }
}

/// A new invite's link: the answer of the form in this page, or of a form sent as plain HTML
/// (then kept for this page behind a one-time token).
#[component]
fn InviteLink(
    invite: ServerAction<InviteMember>,
    kept: Resource<Option<InviteCreated>>,
) -> impl IntoView {
    view! {
        {move || invite.value().get().and_then(|r| r.ok()).map(invite_flash)}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move { kept.await.map(invite_flash) })}
        </Suspense>
    }
}

fn invite_flash(created: InviteCreated) -> impl IntoView {
    view! {
        <div class="flash flash-ok" role="status">
            <p>{format!("Invite for {} as {} created. Send them this link:", created.email, created.role.label())}</p>
            <label for="invite-link">"Invite link"</label>
            <input id="invite-link" class="copy-field" type="text" readonly value=created.link.clone()/>
        </div>
    }
}

#[component]
fn InviteForm(invite: ServerAction<InviteMember>, owner: bool) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Invite a member"</h2>
            <p class="muted">
                "There is no email from Terminal Fleet: you get a link to pass on. It works once and expires after 7 days."
            </p>
            <ActionError value=invite.value()/>
            <ActionForm action=invite attr:class="grid-form">
                <div class="field">
                    <label for="invite-email">"Email"</label>
                    <input id="invite-email" type="email" name="email" required/>
                </div>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role">
                        {Role::ALL.into_iter().filter(|r| owner || *r != Role::Owner).map(|r| view! {
                            <option value=r.as_str() selected=r == Role::Operator>{format!("{} — {}", r.label(), r.describe())}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field end">
                    <button type="submit" class="button primary">"Create invite link"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let accept = ServerAction::<AcceptInvite>::new();
    let info = Resource::new(token, invite_details);
    view! {
        <Title text="Invitation"/>
        <main class="auth-page">
            <div class="auth-card">
                <a class="brand auth-brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"▣"</span>
                    "Terminal Fleet"
                </a>
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        match info.await {
                            Err(error) => view! { <h1>"Invitation"</h1> <ErrorView error/> }.into_any(),
                            Ok(info) => {
                                let here = format!("/invite/{}", token());
                                let login = format!("/login?next={here}");
                                let signup = format!("/signup?next={here}&email={}", urlencode(&info.email));
                                view! {
                                    <h1>{format!("Join {}", info.tenant_name)}</h1>
                                    <p>
                                        {format!("{} is invited as ", info.email)}
                                        <strong>{info.role.label()}</strong>
                                        {format!(": {}", info.role.describe())}
                                    </p>
                                    <p class="muted">{format!("This invite expires {}.", datetime(info.expires_at))}</p>
                                    <ActionError value=accept.value()/>
                                    {match info.signed_in_as {
                                        Some(email) if email != info.email => view! {
                                            <div class="flash flash-error" role="alert">
                                                {format!("This invite is for {}, but you are signed in as {email}. Sign out, then open the link again.", info.email)}
                                            </div>
                                            <form method="post" action="/sf/sign_out">
                                                <button type="submit" class="button">"Sign out"</button>
                                            </form>
                                        }.into_any(),
                                        Some(email) => view! {
                                            <p>{format!("You are signed in as {email}.")}</p>
                                            <ActionForm action=accept attr:class="stack">
                                                <input type="hidden" name="token" value=token()/>
                                                <button type="submit" class="button primary">"Accept invitation"</button>
                                            </ActionForm>
                                        }.into_any(),
                                        None => view! {
                                            <p>"Sign in or create an account with that email to accept."</p>
                                            <div class="button-row">
                                                <a class="button primary" href=signup>"Create an account"</a>
                                                <a class="button" href=login>"Sign in"</a>
                                            </div>
                                        }.into_any(),
                                    }}
                                }.into_any()
                            }
                        }
                    })}
                </Suspense>
            </div>
        </main>
    }
}

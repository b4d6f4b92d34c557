use super::api::{list_support_grants, GrantSupportAccess, RevokeSupportAccess};
use super::types::{SupportView, DURATIONS};
use crate::components::feedback::{field_error, ActionError, EmptyState, ErrorView, Loading};
use crate::time_fmt::datetime;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SupportPage() -> impl IntoView {
    let grant = ServerAction::<GrantSupportAccess>::new();
    let revoke = ServerAction::<RevokeSupportAccess>::new();
    let data = Resource::new(|| (), |_| list_support_grants());
    view! {
        <Title text="Support access"/>
        <crate::connections::SettingsTabs current="/settings/support"/>
        <ActionError value=revoke.value()/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <SupportBody view grant revoke/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SupportBody(
    view: SupportView,
    grant: ServerAction<GrantSupportAccess>,
    revoke: ServerAction<RevokeSupportAccess>,
) -> impl IntoView {
    let can_grant = view.can_grant;
    let email_error = field_error(grant.value(), "email");
    let reason_error = field_error(grant.value(), "reason");
    let empty = view.grants.is_empty();
    view! {
        {can_grant.then(|| view! {
            <section class="panel">
                <h2>"Give support read-only access"</h2>
                <p class="muted">"The person sees this organisation as an auditor, without joining it, until the time runs out or you revoke it. Every page they open is in the audit log."</p>
                <ActionForm action=grant attr:class="grid-form">
                    <div class="field">
                        <label for="support-email">"Their email"</label>
                        <input id="support-email" name="email" type="email" required
                            aria-invalid=move || email_error().is_some().to_string()
                            aria-describedby="support-email-error"/>
                        <span id="support-email-error" class="field-error" role="alert">{email_error}</span>
                    </div>
                    <div class="field">
                        <label for="support-hours">"For"</label>
                        <select id="support-hours" name="hours">
                            {DURATIONS.iter().map(|(h, label)| view! {
                                <option value=h.to_string() selected=*h == 24>{*label}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field wide">
                        <label for="support-reason">"Reason"</label>
                        <input id="support-reason" name="reason" type="text" required maxlength="200"
                            placeholder="Ticket 4821: refunds not showing"
                            aria-invalid=move || reason_error().is_some().to_string()
                            aria-describedby="support-reason-error"/>
                        <span id="support-reason-error" class="field-error" role="alert">{reason_error}</span>
                    </div>
                    <div class="field end">
                        <button type="submit" class="button primary">"Grant access"</button>
                    </div>
                </ActionForm>
            </section>
        })}
        <section class="panel">
            <h2>"Support access"</h2>
            {empty.then(|| view! { <EmptyState title="No support access given" text="Nobody outside the organisation can see it."/> })}
            {(!empty).then(|| view! {
                <div class="table-wrap">
                    <table>
                        <thead><tr>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Why"</th>
                            <th scope="col">"Given"</th>
                            <th scope="col">"Until"</th>
                            {can_grant.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                        </tr></thead>
                        <tbody>
                            {view.grants.into_iter().map(|g| {
                                let status = match (g.active, g.revoked_at) {
                                    (true, _) => format!("Until {}", datetime(g.expires_at)),
                                    (false, Some(at)) => format!("Revoked {}", datetime(at)),
                                    (false, None) => format!("Ended {}", datetime(g.expires_at)),
                                };
                                let label = format!("Revoke support access of {}", g.email);
                                view! {
                                    <tr class=(!g.active).then_some("muted-row")>
                                        <td>{g.email.clone()}</td>
                                        <td>{g.reason.clone()}</td>
                                        <td>{datetime(g.created_at)} {g.granted_by.clone().map(|by| view! { <div class="muted small">{format!("by {by}")}</div> })}</td>
                                        <td>{status}</td>
                                        {can_grant.then(|| view! {
                                            <td class="actions">
                                                {g.active.then(|| view! {
                                                    <ActionForm action=revoke attr:class="inline-form">
                                                        <input type="hidden" name="grant_id" value=g.id.clone()/>
                                                        <button type="submit" class="button small danger" aria-label=label.clone()>"Revoke"</button>
                                                    </ActionForm>
                                                })}
                                            </td>
                                        })}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </section>
    }
}

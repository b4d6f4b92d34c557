//! The fleet inventory on the Overview: readers by device type and software version, and the
//! readers that run an older version than most of their device type. Its own section with its
//! own data, so the Overview only places it.

use super::bulk_api::fleet_inventory;
use super::bulk_types::InventoryView;
use super::types::device_name;
use crate::components::list::plural;
use leptos::prelude::*;

#[component]
pub fn FleetInventory() -> impl IntoView {
    let data = Resource::new(|| (), |_| fleet_inventory());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) if !view.cells.is_empty() => view! { <InventoryBody view/> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn InventoryBody(view: InventoryView) -> impl IntoView {
    let more = view.outdated_total - view.outdated.len() as i64;
    view! {
        <section class="panel inventory" aria-labelledby="inventory-heading">
            <h2 id="inventory-heading">"Fleet inventory"</h2>
            <table class="table">
                <caption class="visually-hidden">"Readers by device type and software version"</caption>
                <thead><tr>
                    <th scope="col">"Device"</th>
                    <th scope="col">"Software version"</th>
                    <th scope="col" class="num">"Readers"</th>
                </tr></thead>
                <tbody>
                    {view.cells.iter().map(|c| {
                        let usual = view.common.iter().any(|(d, v, _)| *d == c.device_type && Some(v) == c.sw_version.as_ref());
                        view! {
                            <tr data-device=c.device_type.clone() data-version=c.sw_version.clone().unwrap_or_default()>
                                <td>{device_name(&c.device_type).to_string()}</td>
                                <td><code>{c.sw_version.clone().unwrap_or_else(|| "not reported".into())}</code>
                                    {usual.then_some(view! { <span class="badge">"most common"</span> })}</td>
                                <td class="num">{c.readers}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {if view.outdated_total == 0 {
                view! { <p class="muted small">"Every reader runs its device type's most common version or a newer one."</p> }.into_any()
            } else {
                view! {
                    <h3>{format!("Older than most of the fleet: {}", plural(view.outdated_total, "reader", "readers"))}</h3>
                    <ul class="plain-list outdated" aria-label="Readers on an older version">
                        {view.outdated.iter().map(|r| view! {
                            <li>
                                <a href=format!("/readers/{}", r.id)>{if r.label.is_empty() { r.id.clone() } else { r.label.clone() }}</a>
                                {format!(" · {} · {} (most run {})", r.location.clone().unwrap_or_else(|| "no location".into()), r.sw_version, r.common)}
                            </li>
                        }).collect_view()}
                    </ul>
                    {(more > 0).then(|| view! { <p class="muted small">{format!("and {more} more")}</p> })}
                }.into_any()
            }}
        </section>
    }
}

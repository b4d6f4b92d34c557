//! Small pieces the fleet pages share: status badges and reader counts.

use super::types::{ReaderCounts, ReaderView};
use crate::components::list::plural;
use leptos::prelude::*;

/// Online / offline / busy, with words as well as colour.
#[component]
pub fn StatusBadge(reader: ReaderView) -> impl IntoView {
    let (class, text) = if !reader.online {
        if reader.alert_since.is_some() {
            ("badge status-alert", "Offline — alert")
        } else {
            ("badge status-offline", "Offline")
        }
    } else if reader.busy() {
        ("badge status-busy", "Busy")
    } else {
        ("badge status-online", "Online")
    };
    view! { <span class=class data-status=text.to_lowercase()>{text}</span> }
}

/// "3 online · 1 offline · 1 busy", each figure labelled for screen readers.
#[component]
pub fn Counts(counts: ReaderCounts) -> impl IntoView {
    view! {
        <span class="counts">
            <span class="count count-online" title="Online">{counts.online}" online"</span>
            <span class="count count-offline" title="Offline">{counts.offline}" offline"</span>
            <span class="count count-busy" title="Busy">{counts.busy}" busy"</span>
            {(counts.alerts > 0).then(|| view! {
                <span class="count count-alert" title="Offline past the alert threshold">{plural(counts.alerts, "alert", "alerts")}</span>
            })}
            {(counts.stuck > 0).then(|| view! {
                <span class="count count-alert" title="An action running past the stuck threshold">{counts.stuck}" stuck"</span>
            })}
        </span>
    }
}

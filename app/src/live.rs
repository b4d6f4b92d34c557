//! Live updates: what the server pushes over Server-Sent Events, and the browser side that
//! listens and shows a "live" / "reconnecting" indicator.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One change pushed to the browsers of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveMessage {
    /// What changed, e.g. `members` or `reader`.
    pub topic: String,
    /// The changed object's id, when there is one.
    pub id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    Connecting,
    Live,
    Reconnecting,
}

/// The live connection of this page: its status and a counter per topic that pages track to
/// refetch what changed.
#[derive(Clone, Copy)]
pub struct Live {
    pub status: RwSignal<LiveStatus>,
    pub last: RwSignal<Option<LiveMessage>>,
    pub version: RwSignal<u64>,
}

impl Live {
    /// A signal that changes whenever a message on `topic` arrives.
    pub fn topic(self, topic: &'static str) -> Memo<u64> {
        let seen = StoredValue::new(0u64);
        Memo::new(move |_| {
            self.version.track();
            if let Some(msg) = self.last.get_untracked() {
                if msg.topic == topic {
                    seen.update_value(|v| *v += 1);
                }
            }
            seen.get_value()
        })
    }
}

/// Opens the page's EventSource (in the browser only) and provides [`Live`] as context.
pub fn provide_live() -> Live {
    provide_live_at("/events")
}

/// Like [`provide_live`] for another stream, such as `/events?all=1` (every organisation of
/// the user); the pages under it see this one instead of the frame's.
pub fn provide_live_at(url: &'static str) -> Live {
    let live = Live {
        status: RwSignal::new(LiveStatus::Connecting),
        last: RwSignal::new(None),
        version: RwSignal::new(0),
    };
    provide_context(live);
    #[cfg(feature = "hydrate")]
    connect(live, url);
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
    live
}

#[cfg(feature = "hydrate")]
fn connect(live: Live, url: &str) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let Ok(source) = web_sys::EventSource::new(url) else {
        live.status.set(LiveStatus::Reconnecting);
        return;
    };
    // EventSource reconnects by itself; these only mirror its state in the indicator.
    let on_open = Closure::<dyn FnMut()>::new(move || live.status.set(LiveStatus::Live));
    let on_error = Closure::<dyn FnMut()>::new(move || live.status.set(LiveStatus::Reconnecting));
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            live.status.set(LiveStatus::Live);
            if let Some(text) = event.data().as_string() {
                if let Ok(msg) = serde_json::from_str::<LiveMessage>(&text) {
                    live.last.set(Some(msg));
                    live.version.update(|v| *v += 1);
                }
            }
        });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handlers live as long as the page.
    on_open.forget();
    on_error.forget();
    on_message.forget();
    on_cleanup(move || source.close());
}

/// The header's connection indicator.
#[component]
pub fn LiveIndicator() -> impl IntoView {
    let live = use_context::<Live>();
    let status = move || {
        live.map(|l| l.status.get())
            .unwrap_or(LiveStatus::Connecting)
    };
    view! {
        <span
            class=move || match status() {
                LiveStatus::Live => "live-indicator live",
                LiveStatus::Connecting => "live-indicator connecting",
                LiveStatus::Reconnecting => "live-indicator reconnecting",
            }
            role="status"
            aria-live="polite"
        >
            <span class="dot" aria-hidden="true"></span>
            {move || match status() {
                LiveStatus::Live => "Live",
                LiveStatus::Connecting => "Connecting…",
                LiveStatus::Reconnecting => "Reconnecting…",
            }}
        </span>
    }
}

//! Live updates in the browser: listening to what the server pushes over Server-Sent Events
//! (the messages themselves are in `topic.rs`) and the "live" / "reconnecting" indicator.

mod forms;
mod regions;

pub use forms::FormSender;
pub use regions::LiveRegion;

#[cfg(feature = "hydrate")]
use crate::topic::{LiveMessage, Topic};
use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    Connecting,
    Live,
    Reconnecting,
}

/// The live connection of this page, as the header's indicator shows it. What changes with it is
/// in the page's [`LiveRegion`]s.
#[derive(Clone, Copy)]
pub struct Live {
    pub status: RwSignal<LiveStatus>,
}

/// The header's island opens the page's stream at `url` and provides [`Live`] to what it
/// renders (the indicator). It is handed the moment the page was rendered, so the stream says
/// first whether a message was missed since, and the organisation and role the page shows,
/// to tell a stale page from a stream that only needs reopening.
pub fn provide_live_island(
    url: String,
    since: Option<i64>,
    shown: Option<(String, crate::model::Role)>,
    ask: crate::components::current_user::AskCurrentUser,
) -> Live {
    let live = Live {
        status: RwSignal::new(LiveStatus::Connecting),
    };
    provide_context(live);
    #[cfg(feature = "hydrate")]
    {
        let shown = Shown {
            shown: StoredValue::new(shown),
            ask,
        };
        session::watch_leaving();
        // One stream per page load, for the page's life.
        connect(live, url.leak(), since, shown, Owner::current());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, since, shown, ask);
    live
}

/// The moment the server renders a page, for its stream to say first whether a message was
/// missed since.
#[cfg(feature = "ssr")]
pub fn rendered_at() -> i64 {
    crate::ssr::ids::now_ms()
}

/// The organisation and role the page was rendered for, which tell a stale page.
#[cfg(feature = "hydrate")]
#[derive(Clone, Copy)]
struct Shown {
    shown: StoredValue<Option<(String, crate::model::Role)>>,
    /// How to ask the server who the session is now, from the frame (the auth feature's).
    ask: crate::components::current_user::AskCurrentUser,
}

#[cfg(feature = "hydrate")]
impl Shown {
    fn now(self) -> Option<(String, crate::model::Role)> {
        self.shown.get_value()
    }
}

#[cfg(feature = "hydrate")]
fn connect(live: Live, url: &'static str, since: Option<i64>, shown: Shown, owner: Option<Owner>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    // The browser reopens a dropped stream at the same address, so one reopened after a gap
    // also starts by saying whether the page missed something since it was rendered.
    let address = match since {
        Some(since) if url.contains('?') => format!("{url}&since={since}"),
        Some(since) => format!("{url}?since={since}"),
        None => url.to_string(),
    };
    let Ok(source) = web_sys::EventSource::new(&address) else {
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
                    regions::changed(msg.topic);
                }
            }
        });
    // The server says the session no longer grants what this stream carried (signed out,
    // removed, another organisation chosen in some tab, a new role): stop listening, and find
    // out whether the page itself is stale.
    let on_session = {
        let source = source.clone();
        let owner = owner.clone();
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
            source.close();
            live.status.set(LiveStatus::Reconnecting);
            session::recheck(live, url, shown, owner.clone());
        })
    };
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let _ = source.add_event_listener_with_callback("session", on_session.as_ref().unchecked_ref());
    // The handlers live as long as the page.
    on_open.forget();
    on_error.forget();
    on_message.forget();
    on_session.forget();
    match owner {
        Some(owner) => owner.with(|| on_cleanup(move || source.close())),
        None => on_cleanup(move || source.close()),
    }
}

#[cfg(feature = "hydrate")]
mod session {
    use super::{connect, Live, Shown, Topic};
    use crate::components::current_user::AskCurrentUser;
    use leptos::prelude::*;
    use std::cell::Cell;
    use std::time::Duration;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    /// Long enough for the answer that changed the session (and its new cookie, after a
    /// password change in this tab) to reach the browser before we ask who we are.
    const SETTLE: Duration = Duration::from_millis(300);

    thread_local! {
        static LEAVING: Cell<bool> = const { Cell::new(false) };
        static WATCHING: Cell<bool> = const { Cell::new(false) };
    }

    /// Notes when the page is being left (a form posted to switch organisation, say): reloading
    /// then would cancel that navigation and strand the user on the old page.
    pub fn watch_leaving() {
        if WATCHING.with(|w| w.replace(true)) {
            return;
        }
        let leaving = Closure::<dyn FnMut()>::new(|| LEAVING.with(|l| l.set(true)));
        let back = Closure::<dyn FnMut()>::new(|| LEAVING.with(|l| l.set(false)));
        let window = window();
        let _ = window
            .add_event_listener_with_callback("beforeunload", leaving.as_ref().unchecked_ref());
        let _ = window.add_event_listener_with_callback("pageshow", back.as_ref().unchecked_ref());
        leaving.forget();
        back.forget();
    }

    /// Asks the server who this session is now: the same organisation and role as shown means
    /// only the stream needed reopening (our own password change gave the session a new id);
    /// anything else reloads, so header, switcher, role and data all follow the session.
    pub fn recheck(live: Live, url: &'static str, shown: Shown, owner: Option<Owner>) {
        set_timeout(
            move || {
                // The page went away meanwhile (its signals with it): nothing to reopen.
                if live.status.try_get_untracked().is_none() {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let AskCurrentUser(ask) = shown.ask;
                    let same = match ask().await {
                        Ok(Some(me)) => shown
                            .now()
                            .is_some_and(|(id, role)| me.tenant.id == id && me.tenant.role == role),
                        Ok(None) => false,
                        // Unreachable server: reopen, and let the stream's own retries cope.
                        Err(_) => true,
                    };
                    if same {
                        // Whatever happened while no stream was open is refetched.
                        super::regions::changed(Topic::Resync);
                        let again = owner.clone();
                        match owner {
                            // Everything is refetched already.
                            Some(owner) => owner.with(|| connect(live, url, None, shown, again)),
                            None => connect(live, url, None, shown, None),
                        }
                    } else if !LEAVING.with(Cell::get) {
                        let _ = window().location().reload();
                    }
                });
            },
            SETTLE,
        );
    }
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

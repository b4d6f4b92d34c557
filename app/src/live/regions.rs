//! Live updates when pages are rendered on the server alone (islands): the parts of a page that
//! change with the stream are marked as regions, and a message on one of their topics loads the
//! page again in the background and puts each such region's new HTML in place of the old.
//!
//! Only regions are replaced, so a form the user is typing into elsewhere on the page keeps
//! what was typed; a region holding the focused field waits until the field loses focus.

use crate::topic::Topic;
use leptos::prelude::*;

/// A part of the page kept current by the live stream: its HTML is rendered again on the server
/// and swapped in when a message on one of `topics` arrives. `id` must be unique on the page.
#[component]
pub fn LiveRegion(id: &'static str, topics: &'static [Topic], children: Children) -> impl IntoView {
    let names = topics
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    view! { <div id=id class="live-region" data-live=names>{children()}</div> }
}

#[cfg(feature = "hydrate")]
pub use browser::{
    changed, changed_controls, fetch_page, hydrate_islands_in, restore_controls, Changed,
};

#[cfg(feature = "hydrate")]
mod browser {
    use crate::topic::Topic;
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::collections::BTreeSet;
    use std::time::Duration;
    use wasm_bindgen::{JsCast, JsValue};

    /// A region's topics, on its element: `data-live="readers locations"` ([`super::LiveRegion`]).
    const ATTRIBUTE: &str = "data-live";

    /// Messages come in bursts (a payment moves a reader and a location too): one reload for
    /// a burst.
    const GATHER: Duration = Duration::from_millis(150);

    #[derive(Default)]
    struct State {
        /// Regions waiting to be replaced.
        pending: BTreeSet<String>,
        /// A reload is scheduled or on its way; what arrives meanwhile waits for the next one.
        busy: bool,
        /// Waiting for the focused field to be left.
        watching_focus: bool,
    }

    thread_local! {
        static STATE: RefCell<State> = RefCell::default();
    }

    /// A message on `topic` arrived (or messages were missed, [`Topic::Resync`]): the regions
    /// that show it are reloaded.
    pub fn changed(topic: Topic) {
        let Ok(regions) = document().query_selector_all(&format!("[{ATTRIBUTE}]")) else {
            return;
        };
        let mut hit = Vec::new();
        for i in 0..regions.length() {
            let Some(el) = regions
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            else {
                continue;
            };
            let shows = el
                .get_attribute(ATTRIBUTE)
                .is_some_and(|t| t.split(' ').any(|t| t == topic.as_str()));
            if topic == Topic::Resync || shows {
                hit.push(el.id());
            }
        }
        if hit.is_empty() {
            return;
        }
        STATE.with_borrow_mut(|s| s.pending.extend(hit));
        schedule();
    }

    fn schedule() {
        let start = STATE.with_borrow_mut(|s| {
            let start = !s.busy && !s.pending.is_empty();
            s.busy |= start;
            start
        });
        if start {
            set_timeout(|| leptos::task::spawn_local(reload()), GATHER);
        }
    }

    async fn reload() {
        let ids = STATE.with_borrow_mut(|s| std::mem::take(&mut s.pending));
        // Offline for a moment: the stream's own reconnection resyncs everything.
        if let Some(html) = page().await {
            swap(&html, ids);
        }
        STATE.with_borrow_mut(|s| s.busy = false);
        schedule();
    }

    /// This page's HTML as the server renders it now.
    async fn page() -> Option<String> {
        let href = window().location().href().ok()?;
        fetch_page(&href, &web_sys::RequestInit::new())
            .await
            .map(|(_, html)| html)
    }

    /// Fetches `url` and, when it answers (after any redirects) with success, where it ended
    /// up and its text.
    pub async fn fetch_page(url: &str, init: &web_sys::RequestInit) -> Option<(String, String)> {
        let response =
            wasm_bindgen_futures::JsFuture::from(window().fetch_with_str_and_init(url, init))
                .await
                .ok()?
                .dyn_into::<web_sys::Response>()
                .ok()?;
        if !response.ok() {
            return None;
        }
        let text = wasm_bindgen_futures::JsFuture::from(response.text().ok()?)
            .await
            .ok()?;
        Some((response.url(), text.as_string()?))
    }

    fn swap(html: &str, ids: BTreeSet<String>) {
        let Ok(parser) = web_sys::DomParser::new() else {
            return;
        };
        let Ok(fresh) = parser.parse_from_string(html, web_sys::SupportedType::TextHtml) else {
            return;
        };
        let focused = document().active_element();
        for id in ids {
            let (Some(old), Some(new)) = (
                document().get_element_by_id(&id),
                fresh.get_element_by_id(&id),
            ) else {
                continue;
            };
            if focused
                .as_ref()
                .is_some_and(|f| is_typing_in(f) && old.contains(Some(f)))
            {
                STATE.with_borrow_mut(|s| s.pending.insert(id));
                watch_focus();
                continue;
            }
            let kept = changed_controls(&old, None);
            let focus_id = focused
                .as_ref()
                .filter(|f| old.contains(Some(f)))
                .map(|f| f.id())
                .filter(|id| !id.is_empty());
            old.set_inner_html(&new.inner_html());
            restore_controls(&old, &kept);
            hydrate_islands_in(&old);
            if let Some(el) = focus_id
                .and_then(|id| document().get_element_by_id(&id))
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        }
    }

    /// A field the user may be in the middle of typing into: replacing it would move the caret.
    fn is_typing_in(el: &web_sys::Element) -> bool {
        match el.tag_name().as_str() {
            "TEXTAREA" => true,
            "INPUT" => !matches!(
                el.get_attribute("type").as_deref(),
                Some("checkbox" | "radio" | "submit" | "button" | "hidden")
            ),
            _ => false,
        }
    }

    /// A control the user changed from what the server rendered: its name (and value, for a
    /// checkbox) and what it holds now. Passwords are never kept.
    pub enum Changed {
        Checked {
            name: String,
            value: String,
            on: bool,
        },
        Value {
            name: String,
            value: String,
        },
    }

    /// What the user changed in `root`'s controls (ticked rows, a chosen action, typed text),
    /// so a refresh of the rows around them does not undo it; not those inside `except`.
    pub fn changed_controls(
        root: &web_sys::Element,
        except: Option<&web_sys::Element>,
    ) -> Vec<Changed> {
        let mut changed = Vec::new();
        let Ok(controls) = root.query_selector_all("input[name], select[name], textarea[name]")
        else {
            return changed;
        };
        for i in 0..controls.length() {
            let Some(node) = controls.item(i) else {
                continue;
            };
            if except.is_some_and(|e| e.contains(Some(&node))) {
                continue;
            }
            if let Some(input) = node.dyn_ref::<web_sys::HtmlInputElement>() {
                match input.type_().as_str() {
                    "checkbox" | "radio" => {
                        if input.checked() != input.default_checked() {
                            changed.push(Changed::Checked {
                                name: input.name(),
                                value: input.value(),
                                on: input.checked(),
                            });
                        }
                    }
                    "hidden" | "password" | "file" | "submit" | "button" => {}
                    _ => {
                        if input.value() != input.default_value() {
                            changed.push(Changed::Value {
                                name: input.name(),
                                value: input.value(),
                            });
                        }
                    }
                }
            } else if let Some(area) = node.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                if Ok(area.value()) != area.default_value() {
                    changed.push(Changed::Value {
                        name: area.name(),
                        value: area.value(),
                    });
                }
            } else if let Some(select) = node.dyn_ref::<web_sys::HtmlSelectElement>() {
                let rendered = select
                    .query_selector("option[selected]")
                    .ok()
                    .flatten()
                    .and_then(|o| o.get_attribute("value"));
                if rendered.as_deref() != Some(select.value().as_str()) {
                    changed.push(Changed::Value {
                        name: select.name(),
                        value: select.value(),
                    });
                }
            }
        }
        changed
    }

    pub fn restore_controls(root: &web_sys::Element, kept: &[Changed]) {
        for change in kept {
            match change {
                Changed::Checked { name, value, on } => {
                    let selector = format!(
                        "input[name=\"{}\"][value=\"{}\"]",
                        css_escape(name),
                        css_escape(value)
                    );
                    if let Some(input) = root
                        .query_selector(&selector)
                        .ok()
                        .flatten()
                        .and_then(|el| el.dyn_into::<web_sys::HtmlInputElement>().ok())
                    {
                        input.set_checked(*on);
                    }
                }
                Changed::Value { name, value } => {
                    let selector = format!("[name=\"{}\"]", css_escape(name));
                    let Some(el) = root.query_selector(&selector).ok().flatten() else {
                        continue;
                    };
                    if let Some(input) = el.dyn_ref::<web_sys::HtmlInputElement>() {
                        input.set_value(value);
                    } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                        area.set_value(value);
                    } else if let Some(select) = el.dyn_ref::<web_sys::HtmlSelectElement>() {
                        select.set_value(value);
                        // What depends on the choice (an address's fields) follows it.
                        if let Ok(change) = web_sys::Event::new("change") {
                            let _ = select.dispatch_event(&change);
                        }
                    }
                }
            }
        }
    }

    /// `value` inside a double-quoted CSS attribute selector.
    fn css_escape(value: &str) -> String {
        value.replace('\\', "\\\\").replace('"', "\\\"")
    }

    /// Reloads what waited for the focused field once focus moves on.
    fn watch_focus() {
        let start = STATE.with_borrow_mut(|s| !std::mem::replace(&mut s.watching_focus, true));
        if !start {
            return;
        }
        let done = wasm_bindgen::closure::Closure::once_into_js(move || {
            STATE.with_borrow_mut(|s| s.watching_focus = false);
            schedule();
        });
        let options = web_sys::AddEventListenerOptions::new();
        options.set_once(true);
        let _ = document().add_event_listener_with_callback_and_add_event_listener_options(
            "focusout",
            done.unchecked_ref(),
            &options,
        );
    }

    /// Islands inside new HTML start as plain HTML: Leptos' script hydrates them the way it
    /// did the page's.
    pub fn hydrate_islands_in(root: &web_sys::Element) {
        let Ok(hydrate) = js_sys::Reflect::get(&window(), &JsValue::from_str("__hydrateIsland"))
        else {
            return;
        };
        let Some(hydrate) = hydrate.dyn_ref::<js_sys::Function>() else {
            return;
        };
        let Ok(islands) = root.query_selector_all("leptos-island") else {
            return;
        };
        for i in 0..islands.length() {
            let Some(el) = islands
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
            else {
                continue;
            };
            let component = el.dataset().get("component").unwrap_or_default();
            let _ = hydrate.call2(&JsValue::NULL, &el, &JsValue::from_str(&component));
        }
    }
}

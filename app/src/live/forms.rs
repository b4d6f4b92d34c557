//! Forms when pages are rendered on the server alone (islands). Every form of the app works as
//! plain HTML: it posts to its server function, which answers with a redirect back to the page,
//! carrying the error in the URL or leaving a success flash (`components::done`). Once the page
//! has hydrated, this does the same in the background: the form is posted with `fetch`, the
//! page's main part is replaced with the HTML the redirect leads to, and on an error the fields
//! keep what the user typed. No full reload, no lost input, one code path for both.

use leptos::prelude::*;

/// Sends the page's forms in the background; rendered once, by the app's shell.
#[island]
pub fn FormSender() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    browser::listen();
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::super::regions::{
        changed_controls, fetch_page, hydrate_islands_in, restore_controls, Changed,
    };
    use crate::components::done::{FORM_HEADER, LOCATION_HEADER, SF_PREFIX};
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    /// The element whose content a form's answer replaces.
    const MAIN: &str = "main";

    /// Server functions after which the page is for another organisation or nobody: the whole
    /// page loads, header and live stream included.
    const WHOLE_PAGE: &[&str] = &[
        "switch_tenant",
        "create_tenant",
        "open_store",
        "accept_invite",
        "sign_out",
    ];

    pub fn listen() {
        let on_submit = Closure::<dyn FnMut(web_sys::SubmitEvent)>::new(on_submit);
        let _ = document()
            .add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
        // For the page's life.
        on_submit.forget();
    }

    fn on_submit(event: web_sys::SubmitEvent) {
        if event.default_prevented() {
            return;
        }
        let Some(form) = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        // Only forms to server functions, as url-encoded posts; uploads and searches (GET)
        // go as the browser sends them.
        let Some(action) = sf_action(&form) else {
            return;
        };
        let name = action
            .trim_start_matches(SF_PREFIX)
            .split('?')
            .next()
            .unwrap_or_default();
        if WHOLE_PAGE.contains(&name) {
            return;
        }
        // Read as attributes: `form.method` would be a field of the form named "method".
        let method = form.get_attribute("method").unwrap_or_default();
        let enctype = form.get_attribute("enctype");
        if !method.eq_ignore_ascii_case("post")
            || enctype.is_some_and(|e| e != "application/x-www-form-urlencoded")
        {
            return;
        }
        let Ok(data) = web_sys::FormData::new_with_form(&form) else {
            return;
        };
        // The button pressed is part of what is sent, as in a plain post.
        if let Some(button) = event
            .submitter()
            .and_then(|b| b.dyn_into::<web_sys::HtmlButtonElement>().ok())
        {
            let name = button.name();
            if !name.is_empty() {
                let _ = data.append_with_str(&name, &button.value());
            }
        }
        event.prevent_default();
        // What the user typed, put back if the form is refused.
        let typed = changed_controls(&form, None);
        let _ = form.set_attribute("aria-busy", "true");
        leptos::task::spawn_local(async move {
            let answer = post(&action, &data).await;
            let _ = form.remove_attribute("aria-busy");
            match answer {
                Ok(Some(to)) => follow(to, &form, &action, typed).await,
                // Not a server function's answer (the body was too large, the origin refused):
                // never sent again, which could do the action twice.
                Ok(None) => refused(
                    &form,
                    "The server refused the form. Reload the page and try again.",
                ),
                Err(()) => refused(
                    &form,
                    "The server could not be reached. Check the connection and try again.",
                ),
            }
        });
    }

    /// The form's action when it is a server function of this site. Read as an attribute:
    /// `form.action` would be a field of the form named "action" (the bulk bar has one).
    fn sf_action(form: &web_sys::HtmlFormElement) -> Option<String> {
        let action = form.get_attribute("action")?;
        let url = web_sys::Url::new_with_base(&action, &document().url().ok()?).ok()?;
        let here = window().location().origin().ok()?;
        (url.origin() == here && url.pathname().starts_with(SF_PREFIX))
            .then(|| format!("{}{}", url.pathname(), url.search()))
    }

    /// Posts the form; where it leads (`Ok(None)` for an answer that is not the server
    /// function's), or `Err` when nothing came back.
    async fn post(action: &str, data: &web_sys::FormData) -> Result<Option<web_sys::Url>, ()> {
        let body =
            web_sys::UrlSearchParams::new_with_str_sequence_sequence(data).map_err(|_| ())?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&body);
        let headers = web_sys::Headers::new().map_err(|_| ())?;
        // As a browser's plain post says, so the server function answers as it would to one;
        // and asking for where it leads rather than being sent there.
        headers.set("Accept", "text/html").map_err(|_| ())?;
        headers.set(FORM_HEADER, "1").map_err(|_| ())?;
        init.set_headers(&headers);
        let response =
            wasm_bindgen_futures::JsFuture::from(window().fetch_with_str_and_init(action, &init))
                .await
                .map_err(|_| ())?
                .dyn_into::<web_sys::Response>()
                .map_err(|_| ())?;
        let to = response.headers().get(LOCATION_HEADER).ok().flatten();
        Ok(to.and_then(|to| web_sys::Url::new_with_base(&to, &document().url().ok()?).ok()))
    }

    /// A message above the form, where its errors show, with the focus on it.
    fn refused(form: &web_sys::HtmlFormElement, text: &str) {
        let Ok(note) = document().create_element("div") else {
            return;
        };
        let _ = note.set_attribute("class", "flash flash-error");
        let _ = note.set_attribute("role", "alert");
        let _ = note.set_attribute("tabindex", "-1");
        note.set_text_content(Some(text));
        let _ = form.before_with_node_1(&note);
        if let Ok(note) = note.dyn_into::<web_sys::HtmlElement>() {
            let _ = note.focus();
        }
    }

    /// Shows where the form led: this page again (its new state, or the form with its errors)
    /// in place, any other page (signed in, a charge continuing on its reader's page, Stripe's
    /// consent page) as a link would.
    async fn follow(
        to: web_sys::Url,
        form: &web_sys::HtmlFormElement,
        action: &str,
        typed: Vec<Changed>,
    ) {
        let location = window().location();
        let here = location.pathname().unwrap_or_default();
        let decoded = |path: String| {
            js_sys::decode_uri_component(&path)
                .ok()
                .and_then(|p| p.as_string())
                .unwrap_or(path)
        };
        let same_origin = location.origin().ok().is_some_and(|o| o == to.origin());
        if !same_origin || decoded(to.pathname()) != decoded(here) {
            let _ = location.assign(&to.href());
            return;
        }
        let init = web_sys::RequestInit::new();
        let Some((_, html)) = fetch_page(&to.href(), &init).await else {
            let _ = location.assign(&to.href());
            return;
        };
        let failed = to.search_params().has("__err");
        let Some(fresh) = parse(&html) else {
            let _ = location.reload();
            return;
        };
        let (Some(old), Some(new)) = (
            document().query_selector(MAIN).ok().flatten(),
            fresh.query_selector(MAIN).ok().flatten(),
        ) else {
            let _ = location.reload();
            return;
        };
        // What the user changed elsewhere on the page (rows ticked for a bulk action) stays;
        // the form sent shows the server's answer (emptied after a success).
        let kept = changed_controls(&old, Some(form));
        old.set_inner_html(&new.inner_html());
        restore_controls(&old, &kept);
        let title = fresh.title();
        if !title.is_empty() {
            document().set_title(&title);
        }
        hydrate_islands_in(&old);
        if let Some(refused) = form_for(action).filter(|_| failed) {
            restore_controls(&refused, &typed);
        }
        focus_outcome(&old);
    }

    fn parse(html: &str) -> Option<web_sys::Document> {
        web_sys::DomParser::new()
            .ok()?
            .parse_from_string(html, web_sys::SupportedType::TextHtml)
            .ok()
    }

    /// The form posting to `action` on the page now.
    fn form_for(action: &str) -> Option<web_sys::HtmlFormElement> {
        let forms = document().query_selector_all("form").ok()?;
        (0..forms.length())
            .filter_map(|i| forms.item(i))
            .filter_map(|n| n.dyn_into::<web_sys::HtmlFormElement>().ok())
            .find(|f| sf_action(f).as_deref() == Some(action))
    }

    /// Where a keyboard or screen-reader user wants to be: the first field refused, else the
    /// message the answer shows.
    fn focus_outcome(main: &web_sys::Element) {
        let target = main
            .query_selector("[aria-invalid=\"true\"]")
            .ok()
            .flatten()
            .or_else(|| main.query_selector(".flash").ok().flatten());
        if let Some(el) = target.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
            if !el.has_attribute("tabindex") && el.tag_name() == "DIV" {
                let _ = el.set_attribute("tabindex", "-1");
            }
            let _ = el.focus();
        }
    }
}

//! The signed-in user as the frame loaded them, shared through context so pages and the live
//! stream read the one answer (and can ask again) without depending on the frame or on auth.

use crate::error::AppError;
use crate::model::Me;
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;

/// The signed-in user as the frame loaded them. Pages that need the user await this one
/// resource instead of asking the server again.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<Me>, AppError>>);

impl CurrentUser {
    /// The user, once loaded: `None` outside the frame, signed out, or when loading failed.
    pub async fn get(cx: Option<CurrentUser>) -> Option<Me> {
        match cx {
            Some(CurrentUser(me)) => me.await.ok().flatten(),
            None => None,
        }
    }
}

/// Asks the server who this session is now, skipping the frame's loaded answer: the live stream
/// calls it when the server says the session changed. The header's island hands it the auth
/// feature's `current_user`, so `live` needs no import of auth.
#[derive(Clone, Copy)]
pub struct AskCurrentUser(pub fn() -> UserAnswer);

/// The server's answer to who is signed in, still on its way.
pub type UserAnswer = Pin<Box<dyn Future<Output = Result<Option<Me>, AppError>>>>;

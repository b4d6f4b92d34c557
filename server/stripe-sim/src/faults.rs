//! Injected faults (control API): the next N matching calls, or a share of them, fail with a
//! 5xx or 429, or hang for a while before they are served. Scoped by path prefix, method and
//! account so one test can break one thing.

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Fault {
    /// 500, 502, 503, 504 or 429 to fail; 0 to hang `hang_ms` and then serve the call.
    pub status: u16,
    /// How many more calls it applies to; `None` with `rate` for a share of calls.
    pub count: Option<u32>,
    pub rate: Option<f64>,
    #[serde(default)]
    pub hang_ms: u64,
    pub path_prefix: Option<String>,
    pub method: Option<String>,
    /// An account id (`acct_…`): only calls acting on it.
    pub account: Option<String>,
}

/// What to do to one call.
pub enum FaultAction {
    Fail(u16),
    Hang(u64),
}

#[derive(Default)]
pub struct Faults {
    list: Mutex<Vec<Fault>>,
}

impl Faults {
    pub fn add(&self, fault: Fault) {
        self.list.lock().push(fault);
    }

    pub fn list(&self) -> Vec<Fault> {
        self.list.lock().clone()
    }

    pub fn clear(&self) {
        self.list.lock().clear();
    }

    /// The fault for this call, if any, using up one of a counted fault.
    pub fn take(
        &self,
        method: &str,
        path: &str,
        account: &str,
        chance: impl Fn(f64) -> bool,
    ) -> Option<FaultAction> {
        let mut list = self.list.lock();
        let index = list.iter().position(|f| {
            f.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.account.as_deref().is_none_or(|a| a == account)
                && match f.count {
                    Some(n) => n > 0,
                    None => chance(f.rate.unwrap_or(0.0)),
                }
        })?;
        let fault = &mut list[index];
        if let Some(n) = fault.count.as_mut() {
            *n -= 1;
        }
        let action = if fault.status == 0 {
            FaultAction::Hang(fault.hang_ms)
        } else {
            FaultAction::Fail(fault.status)
        };
        list.retain(|f| f.count != Some(0));
        Some(action)
    }
}

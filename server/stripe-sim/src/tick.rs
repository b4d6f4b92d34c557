//! Changes that happen with time rather than with a request: actions waiting too long for a
//! card time out, and refunds of Stripe's refund test cards settle. Run every second in the
//! background, before each request on its account, and when the control API moves the clock.

use crate::ctx::Ctx;
use crate::Simulator;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Runs the timers of every account.
pub fn run_all(sim: &Simulator) {
    let emitted = {
        let mut store = sim.store();
        let accounts: Vec<String> = store.accounts.keys().cloned().collect();
        let mut emitted = Vec::new();
        for account in accounts {
            let mut ctx = Ctx::new(sim, &mut store, account);
            run(&mut ctx);
            emitted.append(&mut ctx.emitted);
        }
        emitted
    };
    sim.inner.webhooks.enqueue(emitted);
}

/// Runs the timers of the context's account.
pub fn run(ctx: &mut Ctx<'_>) {
    crate::routes::readers::expire_actions(ctx);
    crate::routes::refunds::settle(ctx);
}

pub fn spawn(sim: Simulator) {
    if sim.inner.ticking.swap(true, Ordering::SeqCst) {
        return;
    }
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            run_all(&sim);
        }
    });
}

//! When each connection is synced next, and which due connection goes first.
//!
//! A connection's own pace is its interval, or what its Stripe calls are worth at the account's
//! read budget when that is longer (see [`SyncConfig::interval_after`]). Beside it, every
//! connection is held to its fair share of this instance's sync slots: a sync that held a slot
//! for `cost` is followed by the connection's next no sooner than `cost × connections / slots`
//! after it started, where `cost` is the median of recent syncs. While syncs are cheap that wait
//! is far below the interval and changes nothing; when they are not (a loaded machine, where each
//! sync takes longer because it shares the CPU), every interval stretches to what the slots can
//! serve, so the schedule spreads over the longer round instead of leaving every connection
//! overdue and queued behind the others. Stretched this way a round takes as long as the slots
//! need for all connections, the least any schedule could give them, so a short interval is never
//! slower than a long one on the same machine.
//!
//! Syncs start only when a slot is free (the caller holds the slots), the most overdue first.

use super::SyncConfig;
use rand::Rng;
use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;
use tokio::time::Instant;

/// Syncs whose cost makes up the median: enough that one slow Stripe call moves nothing, few
/// enough that a change in load shows within a round or two.
const COSTS_KEPT: usize = 64;

/// How a sync that was started ended, as far as the schedule cares.
#[derive(Debug, Clone, Copy)]
pub enum Ended {
    Synced {
        /// Stripe calls it made.
        calls: u32,
        /// Whether the account is in live mode (a larger read budget).
        live: bool,
        /// When it started, and how long it held a sync slot (not its waits between pages).
        started: Instant,
        held: Duration,
    },
    /// Another instance holds the connection's lease.
    NotLeased,
    Failed,
}

#[derive(Debug)]
struct Slot {
    due: Instant,
    /// The connection's own pace after its last sync (before any stretch).
    interval: Duration,
    backoff: Option<Duration>,
    runs: u32,
    running: bool,
}

#[derive(Debug)]
pub struct Schedule {
    config: SyncConfig,
    slots: HashMap<String, Slot>,
    costs: VecDeque<Duration>,
}

impl Schedule {
    pub fn new(config: SyncConfig) -> Schedule {
        Schedule {
            config,
            slots: HashMap::new(),
            costs: VecDeque::with_capacity(COSTS_KEPT),
        }
    }

    /// Makes the schedule hold exactly `ids`: a new connection is due at its phase of the
    /// interval, a removed one is forgotten (a sync of it still running ends unnoticed).
    pub fn keep<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>, now: Instant) {
        let ids: std::collections::HashSet<&str> = ids.into_iter().collect();
        self.slots.retain(|id, _| ids.contains(id.as_str()));
        for id in ids {
            if !self.slots.contains_key(id) {
                self.slots.insert(
                    id.to_string(),
                    Slot {
                        due: now + phase(id, self.config.interval),
                        interval: self.config.interval,
                        backoff: None,
                        runs: 0,
                        running: false,
                    },
                );
            }
        }
    }

    /// The connection to sync next, if one is due: the one waiting longest.
    pub fn most_overdue(&self, now: Instant) -> Option<&str> {
        self.slots
            .iter()
            .filter(|(_, slot)| !slot.running && slot.due <= now)
            .min_by_key(|(_, slot)| slot.due)
            .map(|(id, _)| id.as_str())
    }

    /// When the next connection falls due, if any is waiting.
    pub fn next_due(&self) -> Option<Instant> {
        self.slots
            .values()
            .filter(|slot| !slot.running)
            .map(|slot| slot.due)
            .min()
    }

    /// Marks `id` as running; returns its sync's number (the first is 0), or `None` if it is
    /// not scheduled.
    pub fn start(&mut self, id: &str) -> Option<u32> {
        let slot = self.slots.get_mut(id)?;
        slot.running = true;
        Some(slot.runs)
    }

    /// The least time between the starts of one connection's syncs that keeps all of them
    /// within the slots: the median sync's slot time, once for every connection, shared by the
    /// slots.
    pub fn fair_wait(&self) -> Duration {
        let Some(median) = median(&self.costs) else {
            return Duration::ZERO;
        };
        let slots = u32::try_from(self.config.concurrency.max(1)).unwrap_or(u32::MAX);
        let connections = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        (median * connections) / slots
    }

    /// Schedules `id`'s next sync after one that ended at `now`.
    pub fn finish(&mut self, id: &str, ended: Ended, now: Instant) {
        if let Ended::Synced { held, .. } = ended {
            if self.costs.len() == COSTS_KEPT {
                self.costs.pop_front();
            }
            self.costs.push_back(held);
        }
        let fair = self.fair_wait();
        let config = &self.config;
        let Some(slot) = self.slots.get_mut(id) else {
            return;
        };
        slot.running = false;
        match ended {
            Ended::Synced {
                calls,
                live,
                started,
                ..
            } => {
                slot.runs = slot.runs.wrapping_add(1);
                slot.backoff = None;
                slot.interval = config.interval_after(calls, live);
                // Its own beat (its phase) while syncs keep up; never sooner after this start
                // than its calls are worth at the read budget nor than its share of the slots;
                // never in the past.
                slot.due = (slot.due + slot.interval)
                    .max(started + config.paid(calls, live))
                    .max(started + fair)
                    .max(now);
            }
            Ended::NotLeased => slot.due = now + slot.interval.max(fair),
            Ended::Failed => {
                let next = slot
                    .backoff
                    .map(|b| b * 2)
                    .unwrap_or(slot.interval * 2)
                    .min(config.max_backoff);
                slot.backoff = Some(next);
                slot.due = now + jitter(next);
            }
        }
    }

    /// The wait before `id`'s retry after a failure, for the log.
    pub fn backoff_of(&self, id: &str) -> Option<Duration> {
        self.slots.get(id).and_then(|slot| slot.backoff)
    }
}

fn median(costs: &VecDeque<Duration>) -> Option<Duration> {
    let mut sorted: Vec<Duration> = costs.iter().copied().collect();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied()
}

/// Where in the interval a connection's syncs fall, so accounts are spread over time rather
/// than all listed at once.
fn phase(id: &str, interval: Duration) -> Duration {
    let mut hasher = DefaultHasher::new();
    id.hash(&mut hasher);
    let millis = u64::try_from(interval.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_millis(hasher.finish() % millis)
}

fn jitter(d: Duration) -> Duration {
    d.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn config(interval: f64) -> SyncConfig {
        SyncConfig {
            interval: secs(interval),
            ..SyncConfig::default()
        }
    }

    fn synced(started: Instant, held: Duration) -> Ended {
        Ended::Synced {
            calls: 1,
            live: false,
            started,
            held,
        }
    }

    fn schedule_of(n: usize, config: SyncConfig, now: Instant) -> Schedule {
        let mut schedule = Schedule::new(config);
        let ids: Vec<String> = (0..n).map(|i| format!("conn_{i}")).collect();
        schedule.keep(ids.iter().map(String::as_str), now);
        schedule
    }

    #[test]
    fn phases_spread_connections_over_the_interval() {
        let interval = secs(1.0);
        let phases: Vec<Duration> = (0..200)
            .map(|n| phase(&format!("conn_{n}"), interval))
            .collect();
        assert!(phases.iter().all(|p| *p < interval));
        let early = phases.iter().filter(|p| **p < secs(0.5)).count();
        assert!(
            (60..=140).contains(&early),
            "{early} of 200 in the first half"
        );
    }

    #[test]
    fn cheap_syncs_keep_to_the_interval_and_the_phase() {
        let t0 = Instant::now();
        let mut schedule = schedule_of(200, config(1.0), t0);
        let id = "conn_7";
        let first = t0 + phase(id, secs(1.0));
        assert_eq!(schedule.slots[id].due, first);
        assert!(schedule.most_overdue(first).is_some());
        schedule.start(id);
        // 8 slots, 200 connections, 5 ms a sync: a round needs 125 ms, far under the interval.
        for _ in 0..COSTS_KEPT {
            schedule.costs.push_back(secs(0.005));
        }
        schedule.finish(id, synced(first, secs(0.005)), first + secs(0.005));
        assert_eq!(schedule.fair_wait(), secs(0.125));
        assert_eq!(schedule.slots[id].due, first + secs(1.0));
    }

    #[test]
    fn slow_syncs_stretch_every_interval_to_what_the_slots_can_serve() {
        let t0 = Instant::now();
        let mut schedule = schedule_of(200, config(1.0), t0);
        for _ in 0..COSTS_KEPT {
            schedule.costs.push_back(secs(0.2));
        }
        // 200 connections × 200 ms over 8 slots: 5 s a round.
        assert_eq!(schedule.fair_wait(), secs(5.0));
        schedule.start("conn_1");
        schedule.finish("conn_1", synced(t0, secs(0.2)), t0 + secs(0.2));
        assert_eq!(schedule.slots["conn_1"].due, t0 + secs(5.0));
    }

    #[test]
    fn one_slow_sync_among_many_stretches_nothing() {
        let t0 = Instant::now();
        let mut schedule = schedule_of(200, config(1.0), t0);
        for _ in 0..COSTS_KEPT - 1 {
            schedule.costs.push_back(secs(0.005));
        }
        // A Stripe call that hung until its timeout.
        schedule.start("conn_3");
        schedule.finish("conn_3", synced(t0, secs(20.0)), t0 + secs(20.0));
        assert_eq!(schedule.fair_wait(), secs(0.125));
        assert_eq!(schedule.slots["conn_3"].due, t0 + secs(20.0));
    }

    #[test]
    fn a_large_fleet_waits_for_its_read_budget() {
        let t0 = Instant::now();
        let mut schedule = schedule_of(2, config(1.0), t0);
        let due = schedule.slots["conn_0"].due;
        schedule.start("conn_0");
        let ended = Ended::Synced {
            calls: 101,
            live: false,
            started: due,
            held: secs(0.5),
        };
        schedule.finish("conn_0", ended, due + secs(20.0));
        // 101 pages at 5 reads/s: 20.2 s after it was due (and started).
        assert_eq!(schedule.slots["conn_0"].due, due + secs(20.2));
        assert_eq!(schedule.slots["conn_0"].interval, secs(20.2));
    }

    #[test]
    fn the_most_overdue_goes_first_and_a_running_one_is_not_started_again() {
        let t0 = Instant::now();
        let mut schedule = schedule_of(3, config(1.0), t0);
        for (n, slot) in schedule.slots.values_mut().enumerate() {
            slot.due = t0 + secs(n as f64);
        }
        let later = t0 + secs(10.0);
        let first = schedule.most_overdue(later).expect("due").to_string();
        assert_eq!(schedule.slots[&first].due, t0);
        schedule.start(&first);
        let second = schedule.most_overdue(later).expect("due").to_string();
        assert_eq!(schedule.slots[&second].due, t0 + secs(1.0));
        assert_eq!(schedule.next_due(), Some(t0 + secs(1.0)));
        // Removed while running: its end is ignored.
        schedule.keep(["conn_9"], later);
        schedule.finish(&first, synced(later, secs(0.01)), later);
        assert_eq!(schedule.slots.len(), 1);
    }

    #[test]
    fn failures_back_off_and_a_success_resets_it() {
        let t0 = Instant::now();
        let mut schedule = schedule_of(1, config(1.0), t0);
        schedule.start("conn_0");
        schedule.finish("conn_0", Ended::Failed, t0);
        assert_eq!(schedule.backoff_of("conn_0"), Some(secs(2.0)));
        schedule.start("conn_0");
        schedule.finish("conn_0", Ended::Failed, t0);
        assert_eq!(schedule.backoff_of("conn_0"), Some(secs(4.0)));
        assert!(schedule.slots["conn_0"].due <= t0 + secs(4.0));
        schedule.start("conn_0");
        schedule.finish("conn_0", synced(t0, secs(0.01)), t0);
        assert_eq!(schedule.backoff_of("conn_0"), None);
    }

    /// A machine of `cores` CPUs running the schedule: a sync needs `work` of CPU, and `k` syncs
    /// at once share the cores, so each takes `work × k / cores` once k passes the cores.
    struct Machine {
        cores: f64,
        work: Duration,
    }

    /// What running `schedule` for `seconds` on `machine` gave: the staleness of a change made
    /// at Stripe at many moments (until the end of the first sync that started after it), and
    /// how many connections were overdue, on average, at each step.
    fn simulate(mut schedule: Schedule, machine: &Machine, seconds: f64) -> (Vec<Duration>, f64) {
        let step = secs(0.002);
        let t0 = Instant::now();
        let end = t0 + secs(seconds);
        let slots = schedule.config.concurrency;
        // Running syncs: id, start, CPU work left.
        let mut running: Vec<(String, Instant, f64)> = Vec::new();
        let mut syncs: HashMap<String, Vec<(Instant, Instant)>> = HashMap::new();
        let mut overdue_sum = 0usize;
        let mut steps = 0usize;
        let mut now = t0;
        while now < end {
            while running.len() < slots {
                let Some(id) = schedule.most_overdue(now).map(str::to_string) else {
                    break;
                };
                schedule.start(&id);
                running.push((id, now, machine.work.as_secs_f64()));
            }
            overdue_sum += schedule
                .slots
                .values()
                .filter(|slot| !slot.running && slot.due + secs(0.1) < now)
                .count();
            steps += 1;
            let rate = (machine.cores / running.len().max(1) as f64).min(1.0);
            now += step;
            for sync in &mut running {
                sync.2 -= step.as_secs_f64() * rate;
            }
            let (done, still): (Vec<_>, Vec<_>) = running.into_iter().partition(|s| s.2 <= 0.0);
            running = still;
            for (id, started, _) in done {
                schedule.finish(&id, synced(started, now - started), now);
                syncs.entry(id).or_default().push((started, now));
            }
        }
        // Changes made every 7 ms over the middle half of the run, on every connection.
        let mut staleness = Vec::new();
        for runs in syncs.values() {
            let mut at = t0 + secs(seconds * 0.25);
            while at < t0 + secs(seconds * 0.75) {
                let next = runs.partition_point(|(started, _)| *started < at);
                if let Some((_, finished)) = runs.get(next) {
                    staleness.push(*finished - at);
                }
                at += secs(0.007);
            }
        }
        staleness.sort_unstable();
        (staleness, overdue_sum as f64 / steps as f64)
    }

    fn p99(sorted: &[Duration]) -> Duration {
        sorted[sorted.len() * 99 / 100]
    }

    fn run(interval: f64, machine: &Machine) -> (Duration, f64) {
        let t0 = Instant::now();
        let (staleness, overdue) = simulate(schedule_of(200, config(interval), t0), machine, 60.0);
        (p99(&staleness), overdue)
    }

    #[test]
    fn on_a_fast_machine_a_change_is_seen_within_two_seconds() {
        let machine = Machine {
            cores: 2.0,
            work: secs(0.004),
        };
        let (p99, overdue) = run(1.0, &machine);
        assert!(p99 <= secs(1.1), "p99 {p99:?}");
        assert!(overdue < 1.0, "{overdue} overdue");
    }

    #[test]
    fn under_load_a_one_second_schedule_stretches_and_is_never_worse_than_five_seconds() {
        // 20 ms of CPU a sync: the cores serve 100 syncs a second, half what 200 connections
        // every second need, and more than every 5 s needs. 60 ms: not even the 5 s schedule
        // keeps up.
        for work in [0.02, 0.06] {
            let machine = Machine {
                cores: 2.0,
                work: secs(work),
            };
            let (fast, overdue) = run(1.0, &machine);
            let (slow, _) = run(5.0, &machine);
            assert!(
                fast.as_secs_f64() <= slow.as_secs_f64() * 1.05,
                "{work} s of work: p99 {fast:?} at 1 s against {slow:?} at 5 s"
            );
            // Stretched, not queued: at most a few slots' worth of connections wait past their
            // time, where a queue would leave nearly all 200 overdue.
            assert!(overdue < 16.0, "{work} s of work: {overdue} overdue");
        }
    }
}

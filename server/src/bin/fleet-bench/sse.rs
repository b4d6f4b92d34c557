//! Live updates at scale: many browsers' `GET /events` streams open, messages published on the
//! bus, and the time until each stream has each message. The clients are raw TCP readers in a
//! child process of their own (`fleet-bench sse-clients`), so the server's memory is measured
//! apart from theirs; each message carries its send time, and the clients time its arrival.
//!
//! One user may hold only a few streams (`max_streams_per_user`); the benchmark's server lifts
//! that cap (a bench-only setting in `common::start`), since thousands of sign-ups would measure
//! password hashing rather than streams.

use super::common::{rss_mib, rss_mib_of, setup, signed_in_user, start, BenchError};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;
use tokio::sync::mpsc;

/// The cookies of the organisations' users, one a line, for the child.
const COOKIES_ENV: &str = "FLEET_BENCH_SSE_COOKIES";

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

pub async fn run(
    database_url: &str,
    data_dir: &std::path::Path,
    streams: usize,
    messages: usize,
    tenants: usize,
    gap: Duration,
) -> Result<(), BenchError> {
    let running = start(database_url, data_dir, false).await?;
    let mut users = Vec::with_capacity(tenants);
    for n in 0..tenants {
        users.push(signed_in_user(&running, &format!("sse-bench-{n}@example.com")).await?);
    }
    let tenant = users[0].1.clone();
    let cookies: Vec<String> = users.iter().map(|(cookie, _)| cookie.clone()).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_mib();

    let mut child = Command::new(std::env::current_exe().map_err(setup)?)
        .args([
            "sse-clients",
            "--addr",
            &running.addr.to_string(),
            "--streams",
            &streams.to_string(),
        ])
        .env(COOKIES_ENV, cookies.join("\n"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(setup)?;
    let clients_pid = child.id().unwrap_or(0).to_string();
    let mut to_clients = child.stdin.take().ok_or_else(|| setup("no stdin"))?;
    let mut from_clients =
        BufReader::new(child.stdout.take().ok_or_else(|| setup("no stdout"))?).lines();

    let started = Instant::now();
    match tokio::time::timeout(Duration::from_secs(300), from_clients.next_line()).await {
        Ok(Ok(Some(line))) if line == "ready" => {}
        Ok(Ok(Some(line))) => return Err(setup(format!("clients: {line}"))),
        _ => return Err(setup("the clients did not open their streams")),
    }
    let opened = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_mib();
    let clients_rss = rss_mib_of(&clients_pid);
    println!(
        "{streams} streams over {tenants} organisation(s) open in {:.2} s; server resident memory {before:.1} → {after:.1} MiB ({:.1} KiB per stream); the clients' process {clients_rss:.1} MiB",
        opened.as_secs_f64(),
        (after - before) * 1024.0 / streams as f64
    );

    for n in 0..messages {
        let id = format!("{n}-{}", unix_micros());
        running
            .state
            .bus
            .publish(&tenant, app::topic::Topic::Readers, Some(&id))
            .await;
        tokio::time::sleep(gap).await;
    }
    let expected = streams.div_ceil(tenants) * messages;
    to_clients
        .write_all(format!("{expected}\n").as_bytes())
        .await
        .map_err(setup)?;
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(60), from_clients.next_line()).await
    {
        println!("{line}");
    }
    let peak = rss_mib();
    println!("server resident memory after delivery: {peak:.1} MiB");
    let _ = child.kill().await;
    running.kill();
    Ok(())
}

/// The child: opens `streams` streams (stream n as user n mod the users), says `ready` on
/// stdout once each has its `ready` event, then times every message until the parent writes
/// how many deliveries to expect (or 30 s pass after that), and prints the figures.
pub async fn clients(addr: &str, streams: usize) -> Result<(), BenchError> {
    let cookies: Vec<String> = std::env::var(COOKIES_ENV)
        .map_err(setup)?
        .lines()
        .map(str::to_string)
        .collect();
    if cookies.is_empty() {
        return Err(setup("no cookies"));
    }
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    // (latency, whether the stream is of the first organisation)
    let (got_tx, mut got_rx) = mpsc::unbounded_channel::<(Duration, bool)>();
    // Why a stream did not open, for the report.
    let (failed_tx, mut failed_rx) = mpsc::unbounded_channel::<String>();
    for n in 0..streams {
        let (ready_tx, got_tx) = (ready_tx.clone(), got_tx.clone());
        let cookie = cookies[n % cookies.len()].clone();
        let addressed = n % cookies.len() == 0;
        let addr = addr.to_string();
        let failed_tx = failed_tx.clone();
        tokio::spawn(async move {
            let mut socket = match TcpStream::connect(&addr).await {
                Ok(socket) => socket,
                Err(err) => {
                    let _ = failed_tx.send(format!("connect: {}", err.kind()));
                    return;
                }
            };
            let request = format!(
                "GET /events HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n"
            );
            if let Err(err) = socket.write_all(request.as_bytes()).await {
                let _ = failed_tx.send(format!("send: {}", err.kind()));
                return;
            }
            let mut lines = BufReader::with_capacity(1024, socket).lines();
            let mut status = None;
            let mut opened = false;
            loop {
                let line = match lines.next_line().await {
                    Ok(Some(line)) => line,
                    Ok(None) => break,
                    Err(err) => {
                        if !opened {
                            let _ = failed_tx.send(format!("read: {}", err.kind()));
                        }
                        return;
                    }
                };
                if status.is_none() {
                    if !line.starts_with("HTTP/1.1 200") {
                        let _ = failed_tx.send(line);
                        return;
                    }
                    status = Some(line.clone());
                }
                if line.starts_with("event: ready") || line.starts_with("event:ready") {
                    opened = true;
                    let _ = ready_tx.send(());
                } else if let Some(sent) = line
                    .split("\"id\":\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .and_then(|id| id.split_once('-'))
                    .and_then(|(_, micros)| micros.parse::<u64>().ok())
                {
                    let latency = Duration::from_micros(unix_micros().saturating_sub(sent));
                    let _ = got_tx.send((latency, addressed));
                }
            }
            if !opened {
                let _ = failed_tx.send(format!(
                    "closed before ready: {}",
                    status.unwrap_or_default()
                ));
            }
        });
    }
    drop(got_tx);
    drop(failed_tx);
    let mut ready = 0;
    while ready < streams {
        match tokio::time::timeout(Duration::from_secs(30), ready_rx.recv()).await {
            Ok(Some(())) => ready += 1,
            _ => {
                let mut why: std::collections::BTreeMap<String, usize> = Default::default();
                while let Ok(reason) = failed_rx.try_recv() {
                    *why.entry(reason).or_default() += 1;
                }
                println!("only {ready} of {streams} streams opened; the others: {why:?}");
                return Ok(());
            }
        }
    }
    println!("ready");
    let mut expected: Option<usize> = None;
    let mut told = BufReader::new(tokio::io::stdin()).lines();
    let mut latencies = Vec::new();
    let mut misdelivered = 0usize;
    let mut deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if expected.is_some_and(|e| latencies.len() >= e) {
            break;
        }
        tokio::select! {
            got = got_rx.recv() => match got {
                Some((latency, true)) => latencies.push(latency),
                Some((_, false)) => misdelivered += 1,
                None => break,
            },
            line = told.next_line(), if expected.is_none() => {
                expected = Some(line.ok().flatten().and_then(|l| l.trim().parse().ok()).unwrap_or(0));
                deadline = Instant::now() + Duration::from_secs(30);
            }
            _ = tokio::time::sleep_until(deadline.into()) => break,
        }
    }
    // Anything still on its way to a stream that should not have it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok((_, addressed)) = got_rx.try_recv() {
        misdelivered += usize::from(!addressed);
    }
    let s = super::stats::summarise(latencies.clone());
    println!(
        "deliveries {} of {}; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        expected.unwrap_or(0),
        s.p50_ms,
        s.p99_ms,
        s.max_ms
    );
    if cookies.len() > 1 {
        println!(
            "streams of the {} other organisations received {misdelivered} messages",
            cookies.len() - 1
        );
    }
    Ok(())
}

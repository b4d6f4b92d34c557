//! Live updates at scale: many browsers' `GET /events` streams open on one tenant, messages
//! published on the bus, and the time until each stream has each message. The clients are raw
//! TCP readers (a few KiB each), so the memory growth measured is mostly the server's.

use super::common::{rss_mib, setup, signed_in_user, start, BenchError};
use super::stats::summarise;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

pub async fn run(
    database_url: &str,
    data_dir: &std::path::Path,
    streams: usize,
    messages: usize,
) -> Result<(), BenchError> {
    let running = start(database_url, data_dir, false).await?;
    let (cookie, tenant) = signed_in_user(&running, "sse-bench@example.com").await?;
    let addr = running.addr;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_mib();

    // Each client reports "ready" once, then the receive time of every message id it reads.
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    let (got_tx, mut got_rx) = mpsc::unbounded_channel::<(u64, Instant)>();
    let started = Instant::now();
    for _ in 0..streams {
        let (ready_tx, got_tx, cookie) = (ready_tx.clone(), got_tx.clone(), cookie.clone());
        tokio::spawn(async move {
            let Ok(mut socket) = TcpStream::connect(addr).await else {
                return;
            };
            let request = format!(
                "GET /events HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n"
            );
            if socket.write_all(request.as_bytes()).await.is_err() {
                return;
            }
            let mut lines = BufReader::new(socket).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line.starts_with("event: ready") || line.starts_with("event:ready") {
                    let _ = ready_tx.send(());
                } else if let Some(n) = line
                    .split("\"id\":\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    let _ = got_tx.send((n, Instant::now()));
                }
            }
        });
    }
    drop(got_tx);
    let mut ready = 0;
    while ready < streams {
        match tokio::time::timeout(Duration::from_secs(30), ready_rx.recv()).await {
            Ok(Some(())) => ready += 1,
            _ => return Err(setup(format!("only {ready} of {streams} streams opened"))),
        }
    }
    let opened = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_mib();
    println!(
        "{streams} streams open in {:.2} s; resident memory {before:.1} → {after:.1} MiB ({:.1} KiB per stream, clients included)",
        opened.as_secs_f64(),
        (after - before) * 1024.0 / streams as f64
    );

    let mut sent = Vec::with_capacity(messages);
    for n in 0..messages {
        sent.push(Instant::now());
        running
            .state
            .bus
            .publish(&tenant, app::topic::Topic::Readers, Some(&n.to_string()))
            .await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expected = streams * messages;
    let mut latencies = Vec::with_capacity(expected);
    let deadline = Instant::now() + Duration::from_secs(30);
    while latencies.len() < expected && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), got_rx.recv()).await {
            Ok(Some((n, at))) => {
                if let Some(t) = sent.get(n as usize) {
                    latencies.push(at.saturating_duration_since(*t));
                }
            }
            _ => break,
        }
    }
    let s = summarise(latencies.clone());
    println!(
        "{messages} messages × {streams} streams: {} deliveries of {expected}; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        s.p50_ms,
        s.p99_ms,
        s.max_ms
    );
    running.kill();
    Ok(())
}

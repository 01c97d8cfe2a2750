//! Running cargo and the programs it builds, each bounded in time (std only:
//! a thread per pipe drains it, so a child that prints much never blocks).

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, ExitStatus};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The cargo that runs us (`$CARGO`), else the one on `PATH`.
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// An executable cargo built, as its `--message-format=json` output tells
/// (serde derive over the fields booktools reads).
#[derive(Debug, serde::Deserialize)]
pub struct Artifact {
    pub reason: String,
    pub package_id: String,
    pub target: ArtifactTarget,
    pub profile: ArtifactProfile,
    pub executable: PathBuf,
}

#[derive(Debug, serde::Deserialize)]
pub struct ArtifactTarget {
    pub name: String,
    pub kind: Vec<String>,
    /// The target's root source file.
    pub src_path: PathBuf,
}

#[derive(Debug, serde::Deserialize)]
pub struct ArtifactProfile {
    pub test: bool,
}

/// The executables among cargo's JSON messages in `stdout` (other messages,
/// and artifacts without an executable, are left out).
pub fn executables(stdout: &[u8]) -> Vec<Artifact> {
    let messages = String::from_utf8_lossy(stdout);
    let artifacts = messages
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok());
    artifacts
        .filter(|a: &Artifact| a.reason == "compiler-artifact")
        .collect()
}

/// What a bounded child left: `status` is `None` when it ran past the limit
/// and was killed.
pub struct Finished {
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Waits for `child` at most `limit`, killing it then, and collects what it
/// wrote to its piped stdout and stderr (a pipe not piped reads as empty).
/// `Err` when it cannot be waited for.
pub fn finish(mut child: Child, limit: Duration) -> std::io::Result<Finished> {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait()? {
            Some(status) => break Some(status),
            None if started.elapsed() < limit => {
                std::thread::sleep(Duration::from_millis(5))
            }
            None => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn sh(script: &str) -> Child {
        Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    #[test]
    fn a_finished_child_leaves_its_status_and_both_outputs_apart() {
        let finished = finish(
            sh("echo out; echo err >&2; exit 3"),
            Duration::from_secs(60),
        )
        .unwrap();
        assert_eq!(finished.status.and_then(|s| s.code()), Some(3));
        assert_eq!(finished.stdout, b"out\n");
        assert_eq!(finished.stderr, b"err\n");
    }

    #[test]
    fn a_child_past_its_limit_is_killed_and_has_no_status() {
        let started = Instant::now();
        let finished =
            finish(sh("echo early; exec sleep 60"), Duration::from_millis(200))
                .unwrap();
        assert!(finished.status.is_none());
        assert_eq!(finished.stdout, b"early\n");
        // Killed long before the sleep ends; the bound is generous for a busy machine.
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}

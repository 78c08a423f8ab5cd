//! The binary running in the background, for stopping it: signals sent with `kill`, its stderr
//! read as it comes (to wait for a line), and deadlines for it to end.

use std::io::Read;
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A started `member-sync` whose stderr is collected as it is written.
pub struct Running {
    child: Child,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// How a [`Running`] ended.
#[derive(Debug)]
pub struct Ended {
    /// `None` when a signal killed it.
    pub code: Option<i32>,
    /// From the call to [`Running::wait_at_most`] to the exit.
    pub took: Duration,
    pub stderr: String,
}

impl Running {
    /// Takes over `child`, which must have been started with its stderr piped.
    pub fn new(mut child: Child) -> Running {
        let mut pipe = child.stderr.take().expect("stderr piped");
        let stderr = Arc::new(Mutex::new(String::new()));
        let collected = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                let text = String::from_utf8_lossy(&chunk[..n]);
                collected.lock().unwrap().push_str(&text);
            }
        });
        Running {
            child,
            stderr,
            reader: Some(reader),
        }
    }

    /// Sends `kill -NAME` (`-TERM`, `-INT`, `-HUP`, `-KILL`) to the process.
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([name, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {name}");
    }

    /// Waits until stderr says `text` (60 s at most).
    pub fn wait_for_stderr(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.stderr.lock().unwrap().contains(text) {
            assert!(
                Instant::now() < deadline,
                "{text:?} not on stderr after 60 s:\n{}",
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the exit; panics (and kills it) if it takes longer than `limit`.
    pub fn wait_at_most(&mut self, limit: Duration) -> Ended {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                let took = started.elapsed();
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return Ended {
                    code: status.code(),
                    took,
                    stderr: self.stderr.lock().unwrap().clone(),
                };
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                panic!(
                    "still running {limit:?} after the signal; stderr:\n{}",
                    self.stderr.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until the report holds at least `lines` rows (header excluded), 60 s at most.
pub fn wait_for_lines(report: &Path, lines: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let written = std::fs::read_to_string(report)
            .map(|text| text.lines().count().saturating_sub(1))
            .unwrap_or(0);
        if written >= lines {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {written} report lines after 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

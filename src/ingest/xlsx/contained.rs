//! A panic inside the workbook readers becomes a refusal of the file.
//!
//! calamine parses binary and XML formats written by anyone; on a malformed file some of its
//! paths index past a buffer and panic instead of returning an error (a few found by the fuzz
//! tests, see docs/reliability.md). The file is then unreadable, which is an answer we can
//! give: the panic is caught, its message kept for the refusal, and the default panic message
//! (meant for a crash, with a backtrace hint) is not printed for it. Panics anywhere else, on
//! any thread, print as before.

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use super::super::Refusal;

thread_local! {
    /// Whether this thread is inside [`run`], where a panic is reported as a refusal.
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `read` (which reads a `format` workbook); a panic in it is a refusal.
pub fn run<T>(format: &str, read: impl FnOnce() -> Result<T, Refusal>) -> Result<T, Refusal> {
    quiet_hook();
    let outer = CONTAINED.replace(true);
    let result = panic::catch_unwind(AssertUnwindSafe(read));
    CONTAINED.set(outer);
    result.unwrap_or_else(|payload| {
        Err(Refusal::new(format!(
            "the {format} workbook is malformed: the reader stopped on it ({})",
            panic_message(&*payload)
        ))
        .hint(
            "open it in Excel and save it again as \"Excel Workbook (.xlsx)\", or export the \
             sheet as \"CSV UTF-8\"",
        ))
    })
}

/// Installs, once, a panic hook that stays silent for contained panics and otherwise does
/// what the hook before it did.
fn quiet_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let before = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CONTAINED.get() {
                before(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_is_a_refusal_and_the_flag_is_restored() {
        let refused =
            run::<()>("XLSB", || panic!("index out of bounds: the len is 3")).unwrap_err();
        assert_eq!(
            refused.message,
            "the XLSB workbook is malformed: the reader stopped on it (index out of bounds: the \
             len is 3)"
        );
        assert!(!CONTAINED.get());
        assert_eq!(run("XLSX", || Ok(7)), Ok(7));
    }
}

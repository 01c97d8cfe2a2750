//! `?` works the same in synchronous and asynchronous code, and an error a
//! thread or a task returns is just a value. The panic layer differs: a task's
//! `JoinError` is an `Error`, a thread's panic payload is not.
//!
//!     cargo run -p ch09-errors --bin errors_are_values

use std::error::Error;
use std::num::ParseIntError;
use std::thread;

// ANCHOR: question_mark
/// Parses two numbers and adds them. `?` returns the first parse error to
/// the caller, unchanged.
fn add(a: &str, b: &str) -> Result<u32, ParseIntError> {
    let a: u32 = a.parse()?;
    let b: u32 = b.parse()?;
    Ok(a + b)
}

/// The same with an `.await` in the middle, where a real program might
/// wait for the second number to arrive. `?` behaves exactly as above.
async fn add_async(a: &str, b: &str) -> Result<u32, ParseIntError> {
    let a: u32 = a.parse()?;
    tokio::task::yield_now().await;
    let b: u32 = b.parse()?;
    Ok(a + b)
}
// ANCHOR_END: question_mark

// ANCHOR: across
/// Any error type the caller may receive, from either side.
type AnyError = Box<dyn Error + Send + Sync>;

/// On another thread, the `Result` is simply the thread's return value.
/// `join` wraps it in one more layer, which is `Err` only for a panic. That
/// `Err` holds the panic's payload, a `Box<dyn Any + Send>`, which is not an
/// `Error`: `?` cannot convert it, so `map_err` must. This one replaces it
/// with a fixed text, and the panic's own message is lost.
fn add_on_a_thread(a: String, b: String) -> Result<u32, AnyError> {
    let joined = thread::spawn(move || add(&a, &b)).join();
    let sum = joined.map_err(|_payload| "the thread panicked")??;
    Ok(sum)
}

/// On a task, `JoinError` does implement `Error`, so `?` unwraps both
/// layers, the `JoinError` and then the task's own `Result`.
async fn add_on_a_task(a: String, b: String) -> Result<u32, AnyError> {
    let sum = tokio::spawn(async move { add_async(&a, &b).await }).await??;
    Ok(sum)
}
// ANCHOR_END: across

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (a, b) = ("2".to_owned(), "x".to_owned());
    let on_thread = add_on_a_thread(a.clone(), b.clone());
    let on_task = runtime.block_on(add_on_a_task(a.clone(), b.clone()));
    println!("add:             {:?}", add(&a, &b));
    println!("add_async:       {:?}", runtime.block_on(add_async(&a, &b)));
    println!("add_on_a_thread: {on_thread:?}");
    println!("add_on_a_task:   {on_task:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::IntErrorKind;

    const INPUTS: [(&str, &str); 4] =
        [("2", "3"), ("x", "3"), ("2", "x"), ("2", "")];

    /// The error a caller sees is the same value, at the same step, whether
    /// the function is synchronous or asynchronous.
    #[tokio::test]
    async fn question_mark_gives_the_same_error_in_sync_and_async_code() {
        for (a, b) in INPUTS {
            assert_eq!(add(a, b), add_async(a, b).await, "inputs {a:?}, {b:?}");
        }
        assert_eq!(add_async("2", "3").await, Ok(5));
        let error = add_async("2", "x").await.unwrap_err();
        assert_eq!(error.kind(), &IntErrorKind::InvalidDigit);
        let error = add_async("2", "").await.unwrap_err();
        assert_eq!(error.kind(), &IntErrorKind::Empty);
    }

    /// The parse error crosses the thread or task boundary as a value and
    /// comes out as the very error `add` returned.
    #[tokio::test]
    async fn an_error_returned_by_a_thread_or_task_is_just_a_value() {
        for (a, b) in INPUTS {
            let expected = add(a, b);
            let on_thread = add_on_a_thread(a.to_owned(), b.to_owned());
            let on_task = add_on_a_task(a.to_owned(), b.to_owned()).await;
            for got in [on_thread, on_task] {
                match (&expected, got) {
                    (Ok(sum), Ok(got)) => assert_eq!(*sum, got),
                    (Err(error), Err(got)) => {
                        assert_eq!(Some(error), got.downcast_ref::<ParseIntError>());
                    }
                    (expected, got) => panic!("expected {expected:?}, got {got:?}"),
                }
            }
        }
    }

    /// A task's panic goes through `?` as a `JoinError`, an `Error` whose
    /// text keeps the panic's message.
    #[tokio::test]
    async fn a_task_panic_passes_through_question_mark_with_its_message() {
        async fn sum_on_a_panicking_task() -> Result<u32, AnyError> {
            let sum = tokio::spawn(async { panic!("no sum today") }).await?;
            Ok(sum)
        }
        let error = sum_on_a_panicking_task().await.unwrap_err();
        assert!(error.downcast_ref::<tokio::task::JoinError>().is_some());
        let text = error.to_string();
        assert!(
            text.ends_with(r#"panicked with message "no sum today""#),
            "{text}"
        );
    }
}

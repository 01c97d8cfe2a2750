//! Stackful coroutines from the `corosensei` crate: one that trades values
//! with its caller in both directions, one that suspends from deep inside
//! plain recursive calls, and what happens to a coroutine that panics or is
//! dropped while suspended.
//!
//!     cargo run -p ch03-concurrency-model --bin stackful_coroutine

use corosensei::{Coroutine, CoroutineResult, Yielder};
use std::cell::RefCell;
use std::rc::Rc;

// ANCHOR: both_ways
/// Adds up the numbers it is given. Each `suspend` hands the running total
/// to the caller and returns the number passed to the next `resume`; a zero
/// ends the coroutine, which returns how many numbers it added.
fn running_total() -> Coroutine<u32, u32, usize> {
    Coroutine::new(|yielder: &Yielder<u32, u32>, first: u32| {
        let (mut total, mut count, mut next) = (0, 0, first);
        while next != 0 {
            total += next;
            count += 1;
            next = yielder.suspend(total);
        }
        count
    })
}
// ANCHOR_END: both_ways

// ANCHOR: deep
/// A tree whose leaves carry a letter.
enum Tree {
    Leaf(char),
    Node(Vec<Tree>),
}

/// Where the walk stopped: the leaf's letter, how many calls down it was
/// found, and the address of `depth` in the frame that suspended.
type Stop = (char, usize, usize);

/// An ordinary recursive function, not `async`. At each leaf it suspends
/// the whole coroutine, from `depth` calls down; the next `resume` returns
/// from `suspend` right there, and the walk goes on.
fn walk(tree: &Tree, depth: usize, yielder: &Yielder<(), Stop>) {
    match tree {
        Tree::Leaf(letter) => {
            let frame = &depth as *const usize as usize;
            yielder.suspend((*letter, depth, frame));
        }
        Tree::Node(children) => {
            for child in children {
                walk(child, depth + 1, yielder);
            }
        }
    }
}

/// A coroutine that walks `tree` and stops at every leaf.
fn leaves(tree: Tree) -> Coroutine<(), Stop, ()> {
    Coroutine::new(move |yielder, ()| walk(&tree, 0, yielder))
}
// ANCHOR_END: deep

/// What the coroutines of the next listing did, in order.
type Log = Rc<RefCell<Vec<String>>>;

// ANCHOR: edges
/// Notes in the log when it is dropped, wherever it lives.
struct Noisy(&'static str, Log);

impl Drop for Noisy {
    fn drop(&mut self) {
        self.1.borrow_mut().push(format!("{} dropped", self.0));
    }
}

/// Keeps a `Noisy` in its own frame, on the coroutine's stack, and
/// suspends once. Code after the `suspend` runs only if it is resumed.
fn holds_a_noisy(log: Log) -> Coroutine<(), (), ()> {
    Coroutine::new(move |yielder, ()| {
        let _noisy = Noisy("the coroutine's local", log.clone());
        yielder.suspend(());
        log.borrow_mut().push("resumed after its suspend".into());
    })
}

/// Suspends once, then panics when it is resumed.
fn panics_on_second_resume() -> Coroutine<(), u32, ()> {
    Coroutine::new(|yielder, ()| {
        yielder.suspend(1);
        panic!("a panic inside the coroutine");
    })
}
// ANCHOR_END: edges

/// The tree the listing walks: `a` one call down, `b` two, `c` three,
/// and `d` one again.
fn sample_tree() -> Tree {
    use Tree::{Leaf, Node};
    Node(vec![
        Leaf('a'),
        Node(vec![Leaf('b'), Node(vec![Leaf('c')])]),
        Leaf('d'),
    ])
}

fn main() {
    let mut total = running_total();
    for input in [5, 3, 10, 0] {
        match total.resume(input) {
            CoroutineResult::Yield(sum) => {
                println!("resume({input}) -> suspended with {sum}")
            }
            CoroutineResult::Return(count) => {
                println!("resume({input}) -> returned {count}")
            }
        }
    }
    let mut walker = leaves(sample_tree());
    while let CoroutineResult::Yield((letter, depth, _)) = walker.resume(()) {
        println!("suspended at leaf {letter}, at depth {depth}");
    }
    let log = Log::default();
    let mut holder = holds_a_noisy(log.clone());
    holder.resume(());
    println!("suspended; log: {:?}", log.borrow());
    drop(holder);
    println!("dropped; log: {:?}", log.borrow());
    let mut panicky = panics_on_second_resume();
    panicky.resume(());
    // Keep the default hook from printing the panic on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        panicky.resume(())
    }));
    let _ = std::panic::take_hook();
    match caught {
        Err(payload) => {
            println!("resume caught: {:?}", payload.downcast_ref::<&str>())
        }
        Ok(_) => println!("resume returned"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corosensei::stack::{DefaultStack, Stack};
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use CoroutineResult::{Return, Yield};

    #[test]
    fn a_coroutine_and_its_caller_pass_values_both_ways() {
        let mut total = running_total();
        assert_eq!(total.resume(5), Yield(5));
        assert_eq!(total.resume(3), Yield(8));
        assert_eq!(total.resume(10), Yield(18));
        assert_eq!(total.resume(0), Return(3));
        assert!(total.done());
    }

    #[test]
    fn a_coroutine_suspends_from_deep_inside_plain_recursive_calls() {
        let mut walker = leaves(sample_tree());
        let mut stops = Vec::new();
        while let Yield(stop) = walker.resume(()) {
            stops.push(stop);
        }
        // One suspension per leaf, in tree order, each from the depth of
        // the recursive call that found the leaf.
        let letters_and_depths: Vec<_> =
            stops.iter().map(|&(l, d, _)| (l, d)).collect();
        assert_eq!(letters_and_depths, [('a', 1), ('b', 2), ('c', 3), ('d', 1)]);
        // And each suspension really happened in that call's frame, still on
        // the coroutine's stack: deeper calls sit lower (the stack grows
        // down on x86_64 and AArch64), and the two leaves found one call
        // down were found by frames at the same place.
        let frame = |i: usize| stops[i].2;
        assert!(frame(2) < frame(1) && frame(1) < frame(0), "{stops:?}");
        assert_eq!(frame(0), frame(3), "{stops:?}");
    }

    #[test]
    fn the_coroutine_runs_on_a_stack_of_its_own() {
        let stack = DefaultStack::new(64 * 1024).unwrap();
        let (limit, base) = (stack.limit().get(), stack.base().get());
        // The addresses of a local in the caller's frame and in the
        // coroutine's, taken without dereferencing anything.
        let in_caller = 0u8;
        let in_caller = &in_caller as *const u8 as usize;
        let mut coroutine = Coroutine::with_stack(stack, |yielder, ()| {
            let in_coroutine = 0u8;
            yielder.suspend(&in_coroutine as *const u8 as usize);
        });
        let Yield(in_coroutine) = coroutine.resume(()) else {
            panic!("the coroutine returned without suspending");
        };
        assert!((limit..base).contains(&in_coroutine));
        assert!(!(limit..base).contains(&in_caller));
    }

    #[test]
    fn a_panic_inside_a_coroutine_reaches_the_caller_of_resume() {
        let mut coroutine = panics_on_second_resume();
        assert_eq!(coroutine.resume(()), Yield(1));
        let caught = catch_unwind(AssertUnwindSafe(|| coroutine.resume(())));
        let payload = caught.expect_err("the second resume returned");
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"a panic inside the coroutine")
        );
        // Once its panic has left it, the coroutine is finished.
        assert!(coroutine.done());
    }

    #[test]
    fn dropping_a_suspended_coroutine_runs_the_drops_on_its_stack() {
        let log = Log::default();
        let mut coroutine = holds_a_noisy(log.clone());
        assert_eq!(coroutine.resume(()), Yield(()));
        assert!(log.borrow().is_empty());
        drop(coroutine);
        // The local was dropped, and the code after `suspend` never ran.
        assert_eq!(*log.borrow(), ["the coroutine's local dropped"]);
    }

    /// The permissions of the mapping that holds `address`, and what it
    /// maps (empty for anonymous memory), from Linux's `/proc/self/maps`.
    fn mapping_of(address: usize) -> Option<(String, String)> {
        let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
        maps.lines().find_map(|line| {
            let mut fields = line.split_whitespace();
            let (start, end) = fields.next()?.split_once('-')?;
            let start = usize::from_str_radix(start, 16).ok()?;
            let end = usize::from_str_radix(end, 16).ok()?;
            if !(start..end).contains(&address) {
                return None;
            }
            let permissions = fields.next()?.to_string();
            // Offset, device and inode come before the path, if any.
            let path = fields.nth(3).unwrap_or("").to_string();
            Some((permissions, path))
        })
    }

    #[test]
    fn the_coroutine_stack_is_memory_mapped_with_a_guard_page_below_it() {
        let test = "the_coroutine_stack_is_memory_mapped_with_a_guard_page_below_it";
        if mapping_of(mapping_of as fn(usize) -> _ as usize).is_none() {
            book_skip::skip!(test, "no /proc/self/maps to read");
            return;
        }
        const SIZE: usize = 64 * 1024;
        let stack = DefaultStack::new(SIZE).unwrap();
        let (limit, base) = (stack.limit().get(), stack.base().get());
        let anonymous =
            |permissions: &str| Some((permissions.to_string(), String::new()));
        // Readable and writable anonymous memory for the `SIZE` bytes below
        // the top of the stack; below them, down to the limit, which counts
        // the guard page in, memory that cannot be touched at all.
        assert_eq!(mapping_of(base - 1), anonymous("rw-p"));
        assert_eq!(mapping_of(base - SIZE), anonymous("rw-p"));
        assert_eq!(mapping_of(base - SIZE - 1), anonymous("---p"));
        assert_eq!(mapping_of(limit), anonymous("---p"));
    }

    /// How many minor page faults the kernel has handled for the calling
    /// thread: faults on memory that needed no disk, such as a first touch of
    /// a fresh anonymous page. Field 10 of `/proc/thread-self/stat`.
    fn minor_faults() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        // The fields after the command name, which is in parentheses.
        let (_, fields) = stat.rsplit_once(") ")?;
        fields.split_whitespace().nth(7)?.parse().ok()
    }

    /// Pages of the stack the coroutine below touches on its first resume.
    const PAGES: usize = 16;

    /// A coroutine whose frame spans `PAGES` pages of its stack (on Linux,
    /// pages are 4 KiB or more), written on every resume. The stack is far
    /// smaller than a huge page, so each page is faulted in on its own.
    fn touches_its_stack() -> Coroutine<(), (), (), DefaultStack> {
        let stack = DefaultStack::new(256 * 1024).unwrap();
        Coroutine::with_stack(stack, |yielder: &Yielder<(), ()>, ()| {
            let mut frame = [0u8; PAGES * 4096];
            loop {
                for byte in frame.iter_mut().step_by(4096) {
                    *byte = byte.wrapping_add(1);
                }
                std::hint::black_box(&mut frame);
                yielder.suspend(());
            }
        })
    }

    #[test]
    fn the_kernel_supplies_the_coroutine_stack_pages_as_they_are_first_touched() {
        let test = "the_kernel_supplies_the_coroutine_stack_pages_as_they_are_first_touched";
        if minor_faults().is_none() {
            book_skip::skip!(test, "no /proc/thread-self/stat to read");
            return;
        }
        let mut coroutine = touches_its_stack();
        let faults_while = |coroutine: &mut Coroutine<_, _, _, _>| {
            let before = minor_faults().unwrap();
            assert_eq!(coroutine.resume(()), Yield(()));
            minor_faults().unwrap() - before
        };
        // The first resume touches fresh pages: one fault each, at least.
        let first = faults_while(&mut coroutine);
        assert!(
            first >= PAGES as u64,
            "{first} faults for {PAGES} new pages"
        );
        // The second writes the same pages, now present, so the kernel has
        // no page to supply (a fault or two elsewhere is allowed for).
        let second = faults_while(&mut coroutine);
        assert!(
            second < PAGES as u64 / 2,
            "{second} faults on pages present"
        );
    }
}

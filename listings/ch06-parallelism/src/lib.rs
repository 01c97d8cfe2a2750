//! Chapter 6: the same CPU-bound job on one thread, on several threads, on
//! tokio tasks and on tokio's blocking pool, which of them run in parallel,
//! and what running in parallel asks of a task's code.

pub mod cpu;
pub mod send_bound;
pub mod stackful;
pub mod workers;

#[cfg(test)]
mod tests {
    // The skip convention's helper, tried here through this crate's own
    // test paths, since every parallel test of this chapter relies on it.
    use book_skip::has_cpus;

    #[test]
    fn every_machine_has_the_one_cpu_a_test_may_ask_for() {
        // Unless BOOK_CPUS pretends otherwise, a machine always has one CPU;
        // a skip helper that always said no would silence every parallel test.
        if std::env::var_os("BOOK_CPUS").is_none() {
            assert!(has_cpus!(
                "every_machine_has_the_one_cpu_a_test_may_ask_for",
                1
            ));
        }
    }

    #[test]
    fn the_core_count_is_the_one_std_reports() {
        // The parallel tests skip below two CPUs: a count that came out low
        // would silence them.
        let std_count = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(super::cpu::cores(), std_count);
    }

    /// Run only by the test below, in a child process told it has one CPU.
    #[test]
    #[ignore = "a probe for below_the_cpus_it_needs_a_test_reports_itself_skipped"]
    fn probe_asks_for_two_cpus() {
        assert!(!has_cpus!("probe_asks_for_two_cpus", 2));
    }

    #[test]
    fn below_the_cpus_it_needs_a_test_reports_itself_skipped() {
        let log = std::env::temp_dir()
            .join(format!("ch06-skip-log-{}", std::process::id()));
        let _ = std::fs::remove_file(&log);
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "tests::probe_asks_for_two_cpus"])
            .env("BOOK_CPUS", "1")
            .env("BOOK_SKIP_LOG", &log)
            .output()
            .unwrap();
        let written = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        assert!(child.status.success(), "{child:?}");
        assert_eq!(
            written,
            "skipped: ch06-parallelism::ch06_parallelism::tests::probe_asks_for_two_cpus: \
             needs 2 CPUs, has 1\n"
        );
    }
}

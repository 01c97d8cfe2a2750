//! Reading this process's memory from `/proc/self/status`.

// ANCHOR: status
/// The figures of `/proc/self/status` the probe needs, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// `VmRSS`: memory actually held in RAM (touched pages).
    pub resident: u64,
    /// `VmSize`: every mapping, reserved address space included.
    pub virtual_size: u64,
    /// `VmPTE`: the kernel's page tables for this process, which map its
    /// virtual pages to physical ones; kernel memory, not in `VmRSS`.
    pub page_tables: u64,
    /// `Threads`: how many threads the process has.
    pub threads: u64,
}

/// Parses the text of `/proc/<pid>/status`; the kernel gives sizes in kB
/// (meaning KiB).
pub fn parse_status(text: &str) -> Option<Status> {
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find_map(|line| line.strip_prefix(name))?;
        line.strip_prefix(':')?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    Some(Status {
        resident: field("VmRSS")? * 1024,
        virtual_size: field("VmSize")? * 1024,
        page_tables: field("VmPTE")? * 1024,
        threads: field("Threads")?,
    })
}

/// Reads the status of the calling process now.
pub fn read_status() -> std::io::Result<Status> {
    let text = std::fs::read_to_string("/proc/self/status")?;
    parse_status(&text)
        .ok_or_else(|| std::io::Error::other("no VmRSS/VmSize/VmPTE/Threads"))
}
// ANCHOR_END: status

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = "\
Name:\tmemory_probe
Umask:\t0022
State:\tR (running)
Pid:\t4242
VmPeak:\t   20480 kB
VmSize:\t   18432 kB
VmLck:\t       0 kB
VmHWM:\t    4096 kB
VmRSS:\t    3072 kB
RssAnon:\t     512 kB
VmPTE:\t      88 kB
Threads:\t3
";

    #[test]
    fn sizes_are_read_in_kib_and_given_in_bytes() {
        let status = parse_status(FIXTURE).unwrap();
        assert_eq!(
            status,
            Status {
                resident: 3072 * 1024,
                virtual_size: 18432 * 1024,
                page_tables: 88 * 1024,
                threads: 3,
            }
        );
    }

    #[test]
    fn similar_field_names_are_not_confused() {
        // VmRSS must not match RssAnon, nor VmSize match VmPeak.
        let status = parse_status(FIXTURE).unwrap();
        assert_ne!(status.resident, 512 * 1024);
        assert_ne!(status.virtual_size, 20480 * 1024);
    }

    #[test]
    fn a_status_without_the_fields_is_refused() {
        assert_eq!(parse_status("Name:\tkthreadd\nThreads:\t1\n"), None);
    }

    #[test]
    fn this_process_has_a_status() {
        let status = read_status().unwrap();
        assert!(status.resident > 0);
        assert!(status.virtual_size >= status.resident);
        assert!(status.threads >= 1);
    }
}

//! The kernel's own memory, read from `/proc/meminfo`: what a thread costs
//! outside the process's resident size, and the settings that change how a
//! stack is backed.

// ANCHOR: meminfo
/// The figures of `/proc/meminfo` that grow with every thread, in bytes.
/// (The page tables grow too, but `/proc/self/status` has this process's
/// own, as `VmPTE`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelMemory {
    /// `KernelStack`: the stack each thread uses while it runs in the kernel.
    pub kernel_stack: u64,
    /// `SUnreclaim`: slab objects the kernel cannot drop under pressure, the
    /// thread's `task_struct` among them.
    pub slab_unreclaimable: u64,
}

/// Parses the text of `/proc/meminfo`, whose sizes are in kB (meaning KiB).
pub fn parse_meminfo(text: &str) -> Option<KernelMemory> {
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find_map(|line| line.strip_prefix(name))?;
        let kib: u64 = line
            .strip_prefix(':')?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some(kib * 1024)
    };
    Some(KernelMemory {
        kernel_stack: field("KernelStack")?,
        slab_unreclaimable: field("SUnreclaim")?,
    })
}

/// `/proc/meminfo` counts the whole machine, so other processes move it too:
/// reads it `reads` times and keeps the median of each figure.
pub fn read_kernel_memory(reads: usize) -> std::io::Result<KernelMemory> {
    let mut samples = Vec::with_capacity(reads);
    for _ in 0..reads.max(1) {
        let text = std::fs::read_to_string("/proc/meminfo")?;
        let found = parse_meminfo(&text);
        samples
            .push(found.ok_or_else(|| {
                std::io::Error::other("no KernelStack/SUnreclaim")
            })?);
    }
    let median = |figure: fn(&KernelMemory) -> u64| {
        median(samples.iter().map(figure).collect())
    };
    Ok(KernelMemory {
        kernel_stack: median(|m| m.kernel_stack),
        slab_unreclaimable: median(|m| m.slab_unreclaimable),
    })
}

/// The middle value, or the upper of the two middle ones.
fn median(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    values[values.len() / 2]
}
// ANCHOR_END: meminfo

// ANCHOR: settings
/// Two kernel settings that change what a reserved stack costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmSettings {
    /// Transparent huge pages: 0 `never`, 1 `madvise` (only where a program
    /// asks), 2 `always` (a touched 2 MiB region may be backed whole).
    pub huge_pages: u8,
    /// `vm.overcommit_memory`: 0 heuristic, 1 always allow, 2 strict (every
    /// writable private mapping, a stack included, counts as committed).
    pub overcommit: u8,
}

/// Reads both settings; `None` where a file is missing.
pub fn read_vm_settings() -> Option<VmSettings> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let enabled = read("/sys/kernel/mm/transparent_hugepage/enabled")?;
    Some(VmSettings {
        huge_pages: huge_page_mode(&enabled)?,
        overcommit: read("/proc/sys/vm/overcommit_memory")?
            .trim()
            .parse()
            .ok()?,
    })
}

/// The mode the kernel marks with brackets: `always [madvise] never` is 1.
pub fn huge_page_mode(enabled: &str) -> Option<u8> {
    let chosen = enabled
        .split_whitespace()
        .find(|word| word.starts_with('['))?;
    match chosen {
        "[never]" => Some(0),
        "[madvise]" => Some(1),
        "[always]" => Some(2),
        _ => None,
    }
}
// ANCHOR_END: settings

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = "\
MemTotal:       24683584 kB
Slab:              97960 kB
SReclaimable:      74176 kB
SUnreclaim:        23784 kB
KernelStack:        1972 kB
PageTables:         5720 kB
SecPageTables:         0 kB
";

    #[test]
    fn kernel_figures_are_read_in_kib_and_given_in_bytes() {
        let memory = parse_meminfo(FIXTURE).unwrap();
        assert_eq!(
            memory,
            KernelMemory {
                kernel_stack: 1972 * 1024,
                slab_unreclaimable: 23784 * 1024,
            }
        );
    }

    #[test]
    fn a_meminfo_without_the_fields_is_refused() {
        assert_eq!(parse_meminfo("MemTotal: 1 kB\nSlab: 2 kB\n"), None);
    }

    #[test]
    fn the_bracketed_huge_page_mode_is_the_one_in_force() {
        assert_eq!(huge_page_mode("always [madvise] never\n"), Some(1));
        assert_eq!(huge_page_mode("[always] madvise never\n"), Some(2));
        assert_eq!(huge_page_mode("always madvise [never]\n"), Some(0));
        assert_eq!(huge_page_mode("always madvise never\n"), None);
    }

    #[test]
    fn the_median_is_the_middle_of_the_sorted_reads() {
        assert_eq!(median(vec![50, 10, 40, 20, 30]), 30);
        assert_eq!(median(vec![7]), 7);
    }

    #[test]
    fn this_machine_reports_its_vm_settings() {
        let here =
            std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled");
        if here.exists() {
            let settings = read_vm_settings().expect("both settings readable");
            assert!(
                settings.huge_pages <= 2 && settings.overcommit <= 2,
                "{settings:?}"
            );
        }
    }

    #[test]
    fn this_machine_reports_its_kernel_memory() {
        let memory = read_kernel_memory(3).unwrap();
        assert!(memory.kernel_stack > 0, "{memory:?}");
        assert!(memory.slab_unreclaimable > 0, "{memory:?}");
    }
}

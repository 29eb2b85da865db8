# The demo (make demo / tests/lab/run.sh --demo): a guest that greets, then powers off
#! kasou: run --kernel $KERNEL --initrd $INITRD --cmdline "console=ttyS0 panic=-1" --cpus 2 --memory 256M
#! expect-exit: 0
#! expect: Hello from a kasou guest
#! timeout: 120
--- guest ---
echo
echo "Hello from a kasou guest"
echo "  kernel: $(uname -r)"
echo "  nproc:  $(nproc)"
echo "  $(grep MemTotal /proc/meminfo)"
echo

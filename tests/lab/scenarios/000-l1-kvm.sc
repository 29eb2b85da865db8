# L1 sanity: /dev/kvm is there and kasou starts (--version)
#! expect-exit: 0
#! expect: LAB-PASS dev-kvm
#! expect: LAB-PASS kasou-version
#! expect-not: LAB-FAIL
#! timeout: 30
--- l1 ---
if [ -c /dev/kvm ]; then pass dev-kvm; else fail dev-kvm "no /dev/kvm in $LAB_MODE L1"; fi
if v=$(kasou --version 2>&1); then
	echo "kasou --version: $v"
	if [ -n "$v" ]; then pass kasou-version; else fail kasou-version "printed nothing"; fi
else
	fail kasou-version "exit status $?: $v"
fi

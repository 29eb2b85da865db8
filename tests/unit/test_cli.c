// SPDX-License-Identifier: GPL-2.0-only
/* `kasou run` option parsing: defaults, every option, every bad case and its message. */
#include <stdarg.h>
#include <unistd.h>

#include "cli/cli.h"
#include "unit.h"

static char errbuf[8192];

/* Parse a NULL-terminated argument list; stderr is captured in errbuf. */
static int parse(struct vm_config *cfg, ...)
{
	char *argv[32];
	int argc = 0, rc, saved = dup(2);
	FILE *tmp = tmpfile();
	va_list ap;
	size_t n;

	argv[argc++] = "run";
	va_start(ap, cfg);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	config_init(cfg);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	rc = cli_parse_run(argc, argv, cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(errbuf, 1, sizeof(errbuf) - 1, tmp);
	errbuf[n] = 0;
	fclose(tmp);
	return rc;
}

/* Expect a usage error whose message contains `msg`. */
#define BAD(msg, ...)                                                                 \
	do {                                                                          \
		struct vm_config c_;                                                  \
		CHECK_EQ(parse(&c_, __VA_ARGS__, NULL), EXIT_USAGE);                  \
		CHECK(strstr(errbuf, msg) != NULL);                                   \
		CHECK(strncmp(errbuf, "kasou: ", 7) == 0);                            \
		config_free(&c_);                                                     \
	} while (0)

TEST(defaults)
{
	struct vm_config c;

	CHECK_EQ(parse(&c, "--kernel", "/k", NULL), 0);
	CHECK_STR(c.kernel, "/k");
	CHECK(c.initrd == NULL);
	CHECK_STR(c.cmdline, CLI_DEFAULT_CMDLINE);
	CHECK_EQ(c.cpus, 1);
	CHECK_EQ(c.mem_size, 512ULL << 20);
	CHECK_STR(c.name, "kasou");
	CHECK(!c.no_reboot);
	CHECK_EQ(c.console, CONSOLE_SERIAL);
	CHECK_STR(errbuf, "");
	config_free(&c);
}

TEST(all_options)
{
	struct vm_config c;

	CHECK_EQ(parse(&c, "--kernel", "/k", "--initrd", "/i", "--cmdline", "a b=c", "--cpus", "4",
		       "--memory", "3G", "--name", "web1", "--no-reboot", "--console=off", NULL),
		 0);
	CHECK_STR(c.initrd, "/i");
	CHECK_STR(c.cmdline, "a b=c");
	CHECK_EQ(c.cpus, 4);
	CHECK_EQ(c.mem_size, 3ULL << 30);
	CHECK_STR(c.name, "web1");
	CHECK(c.no_reboot);
	CHECK_EQ(c.console, CONSOLE_OFF);
	config_free(&c);
}

TEST(later_option_wins)
{
	struct vm_config c;

	CHECK_EQ(parse(&c, "--kernel", "/a", "--kernel", "/b", "--cpus", "2", "--cpus", "3", NULL), 0);
	CHECK_STR(c.kernel, "/b");
	CHECK_EQ(c.cpus, 3);
	config_free(&c);
}

TEST(empty_cmdline_allowed)
{
	struct vm_config c;

	CHECK_EQ(parse(&c, "--kernel", "/k", "--cmdline", "", NULL), 0);
	CHECK_STR(c.cmdline, "");
	config_free(&c);
}

TEST(bad_cpus)
{
	BAD("--cpus 0: must be between 1 and 255", "--kernel", "/k", "--cpus", "0");
	BAD("--cpus 256: must be between 1 and 255", "--kernel", "/k", "--cpus", "256");
	BAD("--cpus 'two': not a number", "--kernel", "/k", "--cpus", "two");
	BAD("--cpus '-1'", "--kernel", "/k", "--cpus", "-1");
	BAD("--cpus ''", "--kernel", "/k", "--cpus", "");
	BAD("must be between", "--kernel", "/k", "--cpus", "99999999999999999999999");
}

TEST(bad_memory)
{
	BAD("--memory '12Q': not a size", "--kernel", "/k", "--memory", "12Q");
	BAD("--memory '': not a size", "--kernel", "/k", "--memory", "");
	BAD("--memory 'lots'", "--kernel", "/k", "--memory", "lots");
	BAD("--memory '1.5G'", "--kernel", "/k", "--memory", "1.5G");
	BAD("--memory 1M: too small", "--kernel", "/k", "--memory", "1M");
	BAD("--memory 0: too small", "--kernel", "/k", "--memory", "0");
	BAD("too large", "--kernel", "/k", "--memory", "100000T");
	BAD("not a size", "--kernel", "/k", "--memory", "99999999999999999999999G");
	BAD("multiple of 4K", "--kernel", "/k", "--memory", "16777217");
}

TEST(bad_other)
{
	BAD("--console 'vga': use serial, virtio or off", "--kernel", "/k", "--console", "vga");
	BAD("--name 'a/b'", "--kernel", "/k", "--name", "a/b");
	BAD("--name ''", "--kernel", "/k", "--name", "");
	BAD("--kernel needs a path", "--kernel", "");
	BAD("--kernel is required", "--cpus", "2");
	BAD("unexpected argument 'extra'", "--kernel", "/k", "extra");
}

TEST(unknown_option_prints_usage)
{
	BAD("unknown option '--frobnicate'", "--kernel", "/k", "--frobnicate");
	CHECK(strstr(errbuf, "usage: kasou run") != NULL);
	BAD("unknown option '-z'", "-z");
	BAD("needs a value", "--kernel");
	CHECK(strstr(errbuf, "usage: kasou run") != NULL);
	BAD("needs a value", "--kernel", "/k", "--memory");
	BAD("does not take a value", "--kernel", "/k", "--no-reboot=yes");
}

TEST(help)
{
	struct vm_config c;

	int saved = dup(1);

	/* --help prints usage to stdout and asks the caller to exit 0 */
	fflush(stdout);
	dup2(2, 1);
	CHECK_EQ(parse(&c, "--help", NULL), -1);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	config_free(&c);
}

UNIT_MAIN("cli", T(defaults), T(all_options), T(later_option_wins), T(empty_cmdline_allowed),
	  T(bad_cpus), T(bad_memory), T(bad_other), T(unknown_option_prints_usage), T(help))

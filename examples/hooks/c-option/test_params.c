/*
 * `make check`: the parameter parser of c_option.c against good and bad
 * JSON, with a fake RuruApi whose log prints to stderr.
 */
#include "c_option.c"

static void fake_log(RuruLibrary *lib, int32_t level, const char *message)
{
    (void)lib;
    fprintf(stderr, "  log %d: %s\n", (int)level, message);
}

static int failures;

static void expect(const char *json, int ok, unsigned code, const char *text)
{
    static RuruApi fake;
    fake.abi_version = RURU_HOOKS_ABI_VERSION;
    fake.struct_size = sizeof fake;
    fake.log = fake_log;
    option_code = 0;
    option_len = 0;
    if ((ruru_hook_load(&fake, NULL, json) == 0) != ok) {
        fprintf(stderr, "FAIL: %s: expected %s\n", json, ok ? "success" : "failure");
        failures++;
        return;
    }
    if (ok && (option_code != code || option_len != strlen(text) ||
               memcmp(option_text, text, option_len) != 0)) {
        fprintf(stderr, "FAIL: %s: got code %u text %.*s\n", json, (unsigned)option_code,
                (int)option_len, (const char *)option_text);
        failures++;
    }
}

int main(void)
{
    expect("{\"code\": 252, \"text\": \"http://wpad.example/wpad.dat\"}", 1, 252,
           "http://wpad.example/wpad.dat");
    expect(" {\n\"text\":\"a\\\"b\\\\c\\/\\u00e9\\ud83d\\ude00\", \"code\":1} ", 1, 1,
           "a\"b\\c/\xc3\xa9\xf0\x9f\x98\x80");
    expect("{\"other\": {\"x\": [1, 2.5e3, null, true, \"}\"]}, \"code\": 254, "
           "\"a-very-long-key-that-does-not-fit-the-buffer-at-all\": 1, \"text\": \"t\"}",
           1, 254, "t");
    expect("", 0, 0, "");
    expect("null", 0, 0, "");
    expect("{}", 0, 0, "");
    expect("{\"code\": 252}", 0, 0, "");
    expect("{\"text\": \"x\"}", 0, 0, "");
    expect("{\"code\": 255, \"text\": \"x\"}", 0, 0, "");
    expect("{\"code\": 0, \"text\": \"x\"}", 0, 0, "");
    expect("{\"code\": 25.2, \"text\": \"x\"}", 0, 0, "");
    expect("{\"code\": \"252\", \"text\": \"x\"}", 0, 0, "");
    expect("{\"code\": 252, \"text\": \"\"}", 0, 0, "");
    expect("{\"code\": 252, \"text\": \"x\"", 0, 0, "");
    expect("{\"code\": 252, \"text\": \"x\"} trailing", 0, 0, "");
    expect("{\"code\": 252, \"text\": \"\\ud800\"}", 0, 0, "");
    expect("{\"code\": 252, \"text\": \"bad \\q escape\"}", 0, 0, "");
    {
        char big[400];
        memset(big, 'a', sizeof big);
        memcpy(big, "{\"code\": 9, \"text\": \"", 21);
        memcpy(big + sizeof big - 3, "\"}", 3);
        expect(big, 0, 0, ""); /* 376 bytes: longer than an option */
    }
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    fprintf(stderr, "c_option parameter parser: all cases pass\n");
    return 0;
}

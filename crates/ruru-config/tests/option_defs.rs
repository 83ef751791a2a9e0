//! `option-def` and `option-data` in custom spaces: the encoded options
//! of the model (sub-options encapsulated, vendor sub-options apart) and
//! the validation errors, with their positions.
//!
//! The expected bytes are what Kea 2.2 sends for the same configuration
//! (kea-dhcp4 / kea-dhcp6 run on loopback, reply options dumped).

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

mod common;

use common::{check, err, ok};
use ruru_config::{OptionData, OptionData6};

fn v4(body: &str) -> String {
    format!("{{\"Dhcp4\": {{\n{body}\n}}}}")
}

fn v6(body: &str) -> String {
    format!("{{\"Dhcp6\": {{\n{body}\n}}}}")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn opt4(list: &[OptionData], code: u8) -> &OptionData {
    list.iter()
        .find(|o| o.code == code && o.vendor.is_none())
        .unwrap_or_else(|| panic!("no option {code} in {list:?}"))
}

fn opt6(list: &[OptionData6], code: u16) -> &OptionData6 {
    list.iter()
        .find(|o| o.code == code && o.vendor.is_none())
        .unwrap_or_else(|| panic!("no option {code} in {list:?}"))
}

#[test]
fn v4_custom_options_and_sub_options() {
    let c = ok(&v4(r#"
"option-def": [
  {"name": "a", "code": 200, "type": "ipv6-prefix"},
  {"name": "e", "code": 204, "type": "record", "record-types": "uint8, ipv4-address, string"},
  {"name": "f", "code": 205, "type": "uint8", "encapsulate": "sp"},
  {"name": "s1", "code": 3, "space": "sp", "type": "string"},
  {"name": "s2", "code": 1, "space": "sp", "type": "uint32"},
  {"name": "s5", "code": 5, "space": "sp", "type": "empty", "encapsulate": "sp2"},
  {"name": "t1", "code": 9, "space": "sp2", "type": "uint8"},
  {"name": "v1", "code": 2, "space": "vendor-encapsulated-options-space", "type": "uint32"},
  {"name": "w1", "code": 7, "space": "vendor-339", "type": "uint16"}
],
"option-data": [
  {"name": "a", "data": "2001:db8:ffff::/33"},
  {"code": 204, "data": "7, 192.0.2.1, hi there", "always-send": true},
  {"name": "f", "data": "9"},
  {"name": "s1", "space": "sp", "data": "zz"},
  {"name": "s2", "space": "sp", "data": "1"},
  {"name": "s5", "space": "sp"},
  {"name": "t1", "space": "sp2", "data": "4"},
  {"name": "vendor-encapsulated-options"},
  {"name": "v1", "space": "vendor-encapsulated-options-space", "data": "77"},
  {"code": 1, "space": "vendor-encapsulated-options-space", "data": "01", "csv-format": false},
  {"name": "vivso-suboptions", "data": "339"},
  {"name": "w1", "space": "vendor-339", "data": "5", "always-send": true},
  {"code": 3, "space": "vendor-339", "data": "aa", "csv-format": false},
  {"name": "domain-name", "data": "example.org", "never-send": true}
]"#));
    let o = &c.dhcp4.unwrap().options;
    assert_eq!(opt4(o, 200).data, hex("2120010db880"));
    assert_eq!(opt4(o, 204).data, hex("07c00002016869207468657265"));
    assert!(opt4(o, 204).always_send);
    // Sub-options in code order, nested ones inside theirs.
    assert_eq!(opt4(o, 205).data, hex("0901040000000103027a7a0503090104"));
    assert_eq!(opt4(o, 43).data, hex("01010102040000004d"));
    // Option 125: enterprise number and an empty data-length; the
    // vendor's sub-options are kept apart for the engine.
    assert_eq!(opt4(o, 125).data, hex("0000015300"));
    let vendor: Vec<_> = o
        .iter()
        .filter(|x| x.vendor == Some(339))
        .map(|x| (x.code, x.data.clone(), x.always_send))
        .collect();
    assert_eq!(
        vendor,
        [(7, hex("0005"), true), (3, hex("aa"), false)].to_vec()
    );
    assert!(opt4(o, 15).never_send);
    // Options of spaces that are encapsulated are not top-level options.
    assert_eq!(o.iter().filter(|x| x.vendor.is_none()).count(), 6);
}

#[test]
fn v4_class_level_definition_of_option_43() {
    // Kea's doc/examples/kea4/vendor-specific.json, shortened.
    let c = ok(&v4(r#"
"option-def": [
  {"name": "vlanid", "code": 2, "space": "339", "type": "uint32"},
  {"name": "dls", "code": 3, "space": "339", "type": "string"}
],
"client-classes": [{
  "name": "VENDOR_CLASS_339",
  "option-def": [{"name": "vendor-encapsulated-options", "code": 43, "type": "empty", "encapsulate": "339"}],
  "option-data": [
    {"name": "vendor-encapsulated-options"},
    {"name": "vlanid", "space": "339", "data": "123", "always-send": true},
    {"name": "dls", "space": "339", "data": "sdlp://192.0.2.11:18443", "always-send": true}
  ]
}]"#));
    let d = c.dhcp4.unwrap();
    let mut want = hex("02040000007b0317");
    want.extend(b"sdlp://192.0.2.11:18443");
    assert_eq!(opt4(&d.client_classes[0].options, 43).data, want);
}

#[test]
fn v6_custom_options_and_sub_options() {
    let c = ok(&v6(r#"
"option-def": [
  {"name": "a", "code": 1000, "type": "tuple", "array": true},
  {"name": "b", "code": 1001, "type": "uint8", "encapsulate": "sp"},
  {"name": "s1", "code": 3, "space": "sp", "type": "string"},
  {"name": "s2", "code": 1, "space": "sp", "type": "uint32"},
  {"name": "c", "code": 1002, "type": "record", "record-types": "ipv6-prefix, psid, fqdn"},
  {"name": "w1", "code": 7, "space": "vendor-339", "type": "uint16"}
],
"option-data": [
  {"name": "a", "data": "ab, c"},
  {"name": "b", "data": "9"},
  {"name": "s1", "space": "sp", "data": "zz"},
  {"name": "s2", "space": "sp", "data": "1"},
  {"name": "c", "data": "2001:db8::/48, 3/4, a.b"},
  {"name": "vendor-opts", "data": "339"},
  {"name": "w1", "space": "vendor-339", "data": "5", "always-send": true}
]"#));
    let o = &c.dhcp6.unwrap().options;
    // A DHCPv6 tuple has a two-octet length.
    assert_eq!(opt6(o, 1000).data, hex("00026162000163"));
    assert_eq!(opt6(o, 1001).data, hex("090001000400000001000300027a7a"));
    assert_eq!(opt6(o, 1002).data, hex("3020010db800000430000161016200"));
    assert_eq!(opt6(o, 17).data, hex("00000153"));
    let w: Vec<_> = o.iter().filter(|x| x.vendor == Some(339)).collect();
    assert_eq!((w.len(), w[0].code, &w[0].data[..]), (1, 7, &[0, 5][..]));
}

#[test]
fn definition_errors() {
    let e = |defs: &str| err(&v4(&format!("\"option-def\": [{defs}]")));
    check(
        &e(r#"{"name": "foo", "code": 1, "type": "uint8"}"#),
        2,
        40,
        "Dhcp4.option-def[0].code",
        "unable to override definition of option '1' in standard option space 'dhcp4'",
    );
    check(
        &e(r#"{"name": "routers", "code": 222, "type": "uint8"}"#),
        2,
        25,
        "Dhcp4.option-def[0].name",
        "unable to override definition of option 'routers'",
    );
    check(
        &e(r#"{"name": "foo", "code": 222, "type": "bogus"}"#),
        2,
        53,
        "Dhcp4.option-def[0].type",
        "option type 'bogus' not supported",
    );
    check(
        &e(r#"{"name": "foo", "code": 222, "type": "string", "array": true}"#),
        2,
        72,
        "Dhcp4.option-def[0].array",
        "array of strings is not a valid option definition",
    );
    check(
        &e(r#"{"name": "foo", "code": 222, "type": "record", "record-types": "string, uint8"}"#),
        2,
        79,
        "Dhcp4.option-def[0].record-types",
        "string data field can't be laid before data fields of other types",
    );
    check(
        &e(r#"{"name": "foo", "code": 222, "type": "record", "record-types": "uint8, bogus"}"#),
        2,
        79,
        "Dhcp4.option-def[0].record-types",
        "invalid data type 'bogus'",
    );
    check(
        &e(r#"{"name": "foo", "code": 222, "type": "record", "record-types": "uint8"}"#),
        2,
        16,
        "Dhcp4.option-def[0]",
        "Expected at least 2 fields",
    );
    check(
        &e(r#"{"name": "foo", "code": 222, "type": "uint8", "array": true, "encapsulate": "x"}"#),
        2,
        92,
        "Dhcp4.option-def[0].encapsulate",
        "may not encapsulate any option space",
    );
    check(
        &e(r#"{"name": "foo", "code": 256, "type": "uint8", "space": "x"}"#),
        2,
        40,
        "Dhcp4.option-def[0].code",
        "it must not be greater than '255'",
    );
    check(
        &e(r#"{"name": "foo bar", "code": 222, "type": "uint8"}"#),
        2,
        25,
        "Dhcp4.option-def[0].name",
        "invalid option name 'foo bar'",
    );
    check(
        &e(r#"{"name": "foo", "type": "uint8"}"#),
        2,
        16,
        "Dhcp4.option-def[0]",
        "missing parameter 'code'",
    );
    check(
        &e(
            r#"{"name": "foo", "code": 222, "type": "uint8"}, {"name": "bar", "code": 222, "type": "uint8"}"#,
        ),
        2,
        87,
        "Dhcp4.option-def[1].code",
        "option definition with code '222' already exists in option space 'dhcp4'",
    );
    // DHCPv6: the standard space is dhcp6.
    check(
        &err(&v6(
            r#""option-def": [{"name": "foo", "code": 23, "type": "uint8"}]"#,
        )),
        2,
        40,
        "Dhcp6.option-def[0].code",
        "unable to override definition of option '23' in standard option space 'dhcp6'",
    );
}

#[test]
fn data_errors() {
    let e = |body: &str| {
        err(&v4(&format!(
            "\"option-def\": [{{\"name\": \"foo\", \"code\": 222, \"type\": \"uint8\"}}, {{\"name\": \"bar\", \"code\": 1, \"space\": \"sp\", \"type\": \"psid\"}}],\n\"option-data\": [{body}]"
        )))
    };
    check(
        &e(r#"{"name": "foo", "data": "256"}"#),
        3,
        41,
        "Dhcp4.option-data[0].data",
        "option foo (222): `256` is out of range for uint8",
    );
    check(
        &e(r#"{"name": "bar", "space": "sp", "data": "3/1"}"#),
        3,
        56,
        "Dhcp4.option-data[0].data",
        "option sp.bar (1): `3/1`: PSID 3 does not fit in 1 bits",
    );
    check(
        &e(r#"{"name": "baz", "space": "sp", "data": "1"}"#),
        3,
        26,
        "Dhcp4.option-data[0].name",
        "definition for the option 'sp.baz' does not exist",
    );
    check(
        &e(r#"{"code": 9, "space": "sp", "data": "1"}"#),
        3,
        52,
        "Dhcp4.option-data[0].data",
        "option sp.9: no definition for this option code",
    );
    check(
        &e(
            r#"{"name": "bar", "space": "sp", "data": "1/8"}, {"code": 1, "space": "sp", "data": "2/8"}"#,
        ),
        3,
        73,
        "Dhcp4.option-data[1].code",
        "option sp.1 is already configured at Dhcp4.option-data[0]",
    );
    check(
        &e(r#"{"name": "vendor-encapsulated-options", "data": "01:02"}"#),
        3,
        65,
        "Dhcp4.option-data[0].data",
        "this option carries no data",
    );
}

#[test]
fn class_tests_know_option_def_names() {
    let c = ok(&v4(r#"
"option-def": [{"name": "site-id", "code": 224, "type": "string"}],
"client-classes": [{"name": "site", "test": "option[site-id].text == 'a'"}]"#));
    assert_eq!(c.dhcp4.unwrap().client_classes.len(), 1);
    // Without the definition the name is unknown.
    let e = err(&v4(
        r#""client-classes": [{"name": "site", "test": "option[site-id].text == 'a'"}]"#,
    ));
    assert_eq!(e.path, "Dhcp4.client-classes[0].test", "{e}");
}

#[test]
fn v6_standard_sub_option_spaces() {
    // Kea's softwire 46 containers (RFC 7598) and DOCSIS 3 definitions,
    // nested three levels deep.
    let c = ok(&v6(r#"
"option-data": [
  {"name": "s46-cont-mape"},
  {"name": "s46-rule", "space": "s46-cont-mape-options", "data": "1, 0, 24, 192.0.2.0, 2001:db8:1::/64"},
  {"name": "s46-br", "space": "s46-cont-mape-options", "data": "2001:db8:cafe::1"},
  {"name": "s46-portparams", "space": "s46-rule-options", "data": "0, 1/8"},
  {"name": "s46-cont-lw"},
  {"name": "s46-br", "space": "s46-cont-lw-options", "data": "2001:db8:cafe::2"},
  {"name": "s46-v4v6bind", "space": "s46-cont-lw-options", "data": "192.0.2.3, 2001:db8:1:cafe::/64"},
  {"name": "s46-portparams", "space": "s46-v4v6bind-options", "data": "0, 1234/16"},
  {"name": "s46-cont-mapt"},
  {"name": "s46-dmr", "space": "s46-cont-mapt-options", "data": "2001:db8:cafe::/64"},
  {"name": "tftp-servers", "space": "docsis3-v6", "data": "2001:db8::1"},
  {"name": "config-file", "space": "vendor-4491", "data": "cm.cfg", "always-send": true},
  {"name": "vendor-opts", "data": "4491"}
]"#));
    let o = &c.dhcp6.unwrap().options;
    assert_eq!(
        opt6(o, 94).data,
        hex("00590018010018c00002004020010db800010000005d000400080100005a001020010db8cafe00000000000000000001")
    );
    assert_eq!(opt6(o, 95).data, hex("005b00094020010db8cafe0000"));
    assert_eq!(
        opt6(o, 96).data,
        hex("005a001020010db8cafe00000000000000000002005c0015c00002034020010db80001cafe005d0004001004d2")
    );
    let cfg: Vec<_> = o.iter().filter(|x| x.vendor == Some(4491)).collect();
    assert_eq!((cfg[0].code, &cfg[0].data[..]), (33, &b"cm.cfg"[..]));
}

#[test]
fn v6_isc_4o6_definitions() {
    // Kea's `4o6` space (ISC's options of DHCPv4-over-DHCPv6, codes
    // 60000-60002), carried here by a custom option that encapsulates it.
    let c = ok(&v6(r#"
"option-def": [{"name": "isc-4o6", "code": 65000, "type": "empty", "encapsulate": "4o6"}],
"option-data": [
  {"name": "isc-4o6"},
  {"name": "4o6-interface", "space": "4o6", "data": "eth0"},
  {"name": "4o6-source-address", "space": "4o6", "data": "2001:db8::1"},
  {"name": "4o6-source-port", "space": "4o6", "data": "547"}
]"#));
    let o = &c.dhcp6.unwrap().options;
    assert_eq!(
        opt6(o, 65000).data,
        hex("ea60000465746830ea61001020010db8000000000000000000000001ea6200020223")
    );
    let e = err(&v6(
        r#""option-data": [{"name": "4o6-source-port", "space": "4o6", "data": "x"}]"#,
    ));
    assert!(e.path.starts_with("Dhcp6.option-data[0]"), "{e}");
}

#[test]
fn v4_docsis_definitions() {
    let c = ok(&v4(r#"
"option-data": [
  {"name": "tftp-servers", "space": "docsis3-v4", "data": "192.0.2.76, 192.0.2.77"},
  {"name": "oro", "space": "vendor-4491", "data": "2, 3"}
]"#));
    let o = &c.dhcp4.unwrap().options;
    assert_eq!(o.len(), 1);
    assert_eq!(
        (o[0].vendor, o[0].code, &o[0].data[..]),
        (Some(4491), 1, &[2, 3][..])
    );
}

#[test]
fn encapsulation_is_per_list() {
    // As Kea 2.2 does (checked on the wire): the subnet's option 43 does
    // not take the global sub-options, nor the global 43 the subnet's.
    let c = ok(&v4(r#"
"option-def": [{"name": "v1", "code": 2, "space": "vendor-encapsulated-options-space", "type": "uint8"}],
"option-data": [
  {"name": "vendor-encapsulated-options"},
  {"name": "v1", "space": "vendor-encapsulated-options-space", "data": "5"}
],
"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "option-data": [
  {"name": "vendor-encapsulated-options"},
  {"code": 3, "space": "vendor-encapsulated-options-space", "data": "07", "csv-format": false}
]}]"#));
    let d = c.dhcp4.unwrap();
    assert_eq!(opt4(&d.options, 43).data, hex("020105"));
    assert_eq!(opt4(&d.subnets[0].options, 43).data, hex("030107"));
}

#[test]
fn flex_option_knows_option_def_names() {
    let c = ok(&v4(r#"
"option-def": [{"name": "site-id", "code": 224, "type": "string"}],
"hooks-libraries": [{"library": "libdhcp_flex_option.so", "parameters": {"options": [
  {"name": "site-id", "add": "ifelse(option[site-id].exists, 'seen', 'new')"}
]}}]"#));
    assert_eq!(c.dhcp4.unwrap().flex_options[0].code, 224);
}

// Kea 2.2 (kea-dhcp4 on loopback): option 82 carries the sub-options of
// space dhcp-agent-options-space configured with it; option 81 is a
// record of three octets and a name.
#[test]
fn v4_agent_options_and_fqdn() {
    let c = ok(&v4(r#"
"option-def": [ {"name": "circuit", "code": 1, "space": "dhcp-agent-options-space", "type": "string"} ],
"option-data": [
  {"name": "dhcp-agent-options"},
  {"name": "circuit", "space": "dhcp-agent-options-space", "data": "abc"},
  {"name": "fqdn", "data": "4, 255, 255, a.example"}
]"#));
    let d = c.dhcp4.unwrap();
    assert_eq!(opt4(&d.options, 82).data, hex("0103616263"));
    assert_eq!(
        opt4(&d.options, 81).data,
        hex("04ffff0161076578616d706c6500")
    );
}

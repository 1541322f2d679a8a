use serde_json::json;

use crate::shapes::{ident, snake, type_name};

#[test]
fn member_names_become_snake_case_methods() {
    assert_eq!(snake("MD5OfMessageBody"), "md5_of_message_body");
    assert_eq!(snake("SSESpecification"), "sse_specification");
    assert_eq!(snake("QueueUrl"), "queue_url");
    assert_eq!(snake("x-amz-meta"), "x_amz_meta");
    assert_eq!(ident("type"), "r#type");
    assert_eq!(ident("self"), "self_");
    assert_eq!(ident("3d"), "m_3d");
    assert_eq!(type_name("Bucket_Name"), "BucketName");
    assert_eq!(crate::member_method("New"), "new_2");
    assert_eq!(crate::member_method("Type"), "r#type");
    assert_eq!(crate::member_method("MyWidgets"), "my_widgets");
}

fn model() -> serde_json::Value {
    json!({
        "metadata": {"endpointPrefix": "things", "protocol": "json"},
        "operations": {
            "PutThing": {"name": "PutThing", "input": {"shape": "PutThingInput"},
                         "output": {"shape": "PutThingOutput"}},
            "ListThings": {"name": "ListThings", "output": {"shape": "ListThingsOutput"}}
        },
        "shapes": {
            "PutThingInput": {"type": "structure", "members": {
                "Name": {"shape": "String"}, "Size": {"shape": "Long"},
                "Tags": {"shape": "TagMap"}, "Type": {"shape": "String"}}},
            "PutThingOutput": {"type": "structure", "members": {"Thing": {"shape": "Thing"}}},
            "ListThingsOutput": {"type": "structure", "members": {"Things": {"shape": "ThingList"}}},
            "Thing": {"type": "structure", "members": {"Name": {"shape": "String"}}},
            "ThingList": {"type": "list", "member": {"shape": "Thing"}},
            "TagMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
            "String": {"type": "string"},
            "Long": {"type": "long"}
        }
    })
}

#[test]
fn every_operation_is_a_variant_in_name_order() {
    let text = crate::operations("things", &model());
    let list = text.find("ListThings,").unwrap();
    let put = text.find("PutThing,").unwrap();
    assert!(list < put, "{text}");
    assert!(text.contains("\"PutThing\" => Op::PutThing,"), "{text}");
    assert!(text.contains("Op::ListThings => \"ListThings\","), "{text}");
}

#[test]
fn members_are_typed_after_their_shapes_through_the_given_runtime() {
    let text = crate::shapes("things", &model(), "rt");
    for expected in [
        "pub struct PutThingInput<'a>(pub &'a rt::Value);",
        "pub fn name(&self) -> ::core::option::Option<&'a str>",
        "pub fn size(&self) -> ::core::option::Option<i64>",
        "pub fn tags(&self) -> ::core::option::Option<rt::Map<'a, &'a str>>",
        "pub fn r#type(&self)",
        "pub fn things(&self) -> ::core::option::Option<rt::List<'a, Thing<'a>>>",
        "pub fn thing(mut self, v: impl ::core::convert::Into<rt::Value>) -> Self",
        "pub fn set_type(&mut self",
        "pub use super::PutThingInput as PutThing;",
        "pub use super::out::ListThingsOutput as ListThings;",
    ] {
        assert!(text.contains(expected), "{expected} not in\n{text}");
    }
    // ListThings has no input shape: no input alias.
    let input = &text[text.find("pub mod input {").unwrap()..];
    let input = &input[..input.find("\n}\n").unwrap()];
    assert!(input.contains("as PutThing;"), "{input}");
    assert!(!input.contains("ListThings"), "{input}");
}

#[test]
#[should_panic(expected = "things: Thing refers to unknown shape Strin")]
fn a_reference_to_a_missing_shape_is_refused_by_name() {
    let mut m = model();
    m["shapes"]["Thing"]["members"]["Name"]["shape"] = json!("Strin");
    crate::shapes("things", &m, "rt");
}

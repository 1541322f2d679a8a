//! Tables: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable,
//! and the stored table metadata every item operation reads.

use ruststack_sdk::AwsError;
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::shapes::dynamodb::{
    self as ddb, AttributeDefinition, GlobalSecondaryIndexDescription, KeySchemaElement,
    Projection, ProvisionedThroughput, SSESpecification, StreamSpecification, TableDescription,
    input, out, output,
};
use ruststack_sdk::protocol::typed::{FromValue, List, each};
use ruststack_sdk::table::Table;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Ctx;
use crate::error::{Res, table_not_found, validation};
use crate::storage;

/// What is stored per table: its TableDescription (as DescribeTable returns
/// it, minus the live counts) and the settings other operations describe.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct TableMeta {
    /// The TableDescription JSON.
    pub desc: Value,
    /// Tags as `[{Key, Value}]`.
    #[serde(default)]
    pub tags: Vec<Value>,
    /// TTL attribute when TTL is enabled.
    #[serde(default)]
    pub ttl_attribute: Option<String>,
    /// Point-in-time recovery enabled.
    #[serde(default)]
    pub pitr: bool,
    /// Bumped at each TTL enable, so timers of an earlier enable stop.
    #[serde(default)]
    pub ttl_gen: u64,
    /// The primary key's (hash, range) names, read from `desc` once: every
    /// item operation asks for them several times.
    #[serde(skip)]
    keys: std::cell::OnceCell<(String, Option<String>)>,
}

/// A secondary index's key and projection.
#[derive(Clone, Debug)]
pub struct IndexDef {
    pub name: String,
    pub hash: String,
    pub range: Option<String>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: String,
    pub non_key: Vec<String>,
}

fn tables() -> Table<TableMeta> {
    Table::new("t")
}

/// The table called `name`.
pub fn load(name: &str) -> Option<TableMeta> {
    tables().get(&Key::new().str(name))
}

/// Stores the table's metadata.
pub fn save(meta: &TableMeta) {
    tables().put(&Key::new().str(meta.name()), meta);
}

/// The table an item operation names by `TableName`, or
/// ResourceNotFoundException. Shared: item operations only read it, and it
/// is parsed once per instance.
pub fn require(table_name: Option<&str>) -> Res<std::rc::Rc<TableMeta>> {
    let name = &name_of(table_name);
    check_name(name, "tableName")?;
    tables()
        .get_shared(&Key::new().str(name))
        .ok_or_else(crate::error::not_found)
}

/// A key schema's elements (none when it is absent).
fn elements<'a>(
    schema: Option<List<'a, KeySchemaElement<'a>>>,
) -> impl Iterator<Item = KeySchemaElement<'a>> {
    each(schema)
}

/// The (hash, range) attribute names of a key schema.
fn key_of(schema: Option<List<'_, KeySchemaElement<'_>>>) -> (String, Option<String>) {
    let mut hash = String::new();
    let mut range = None;
    for k in elements(schema) {
        let n = k.attribute_name().unwrap_or("").to_string();
        if k.key_type() == Some("HASH") {
            hash = n;
        } else {
            range = Some(n);
        }
    }
    (hash, range)
}

/// A list member's decoded elements as they are, for storing verbatim.
fn raw_list<'a, T: FromValue<'a> + 'a>(list: Option<List<'a, T>>) -> Option<Vec<Value>> {
    list.map(|l| l.values().to_vec())
}

/// Sets the members `patch` holds on the stored description `desc` (a
/// TableDescription or one of its index descriptions).
pub fn merge(desc: &mut Value, patch: impl Into<Value>) {
    if let (Some(d), Value::Object(p)) = (desc.as_object_mut(), patch.into()) {
        d.extend(p);
    }
}

/// Removes members from the stored description `desc`. They are named by
/// setting them (to any value) on a builder, so a misspelt member does not
/// compile: `remove_members(d, out::TableDescription::new().key_schema(true))`.
pub fn remove_members(desc: &mut Value, named: impl Into<Value>) {
    if let (Some(d), Value::Object(names)) = (desc.as_object_mut(), named.into()) {
        for name in names.keys() {
            d.remove(name);
        }
    }
}

impl TableMeta {
    /// The stored TableDescription, read member by member.
    pub fn view(&self) -> TableDescription<'_> {
        TableDescription(&self.desc)
    }

    /// Table name.
    pub fn name(&self) -> &str {
        self.view().table_name().unwrap_or("")
    }

    /// Table ARN.
    pub fn arn(&self) -> &str {
        self.view().table_arn().unwrap_or("")
    }

    /// Partition key name.
    pub fn hash_key(&self) -> String {
        self.keys().0.clone()
    }

    /// Sort key name.
    pub fn range_key(&self) -> Option<String> {
        self.keys().1.clone()
    }

    /// Names of the primary key attributes.
    pub fn key_names(&self) -> Vec<String> {
        let (h, r) = self.keys();
        std::iter::once(h.clone()).chain(r.clone()).collect()
    }

    fn keys(&self) -> &(String, Option<String>) {
        self.keys.get_or_init(|| key_of(self.view().key_schema()))
    }

    /// Declared type (`S`, `N`, `B`) of an attribute.
    pub fn attr_type(&self, name: &str) -> String {
        each(self.view().attribute_definitions())
            .find(|a| a.attribute_name() == Some(name))
            .and_then(|a| a.attribute_type())
            .unwrap_or("S")
            .to_string()
    }

    /// All secondary indexes (global then local).
    pub fn indexes(&self) -> Vec<IndexDef> {
        let d = self.view();
        let global = each(d.global_secondary_indexes())
            .map(|i| index_def(i.index_name(), i.key_schema(), i.projection()));
        let local = each(d.local_secondary_indexes())
            .map(|i| index_def(i.index_name(), i.key_schema(), i.projection()));
        global.chain(local).collect()
    }

    /// The index called `name`.
    pub fn index(&self, name: &str) -> Option<IndexDef> {
        self.indexes().into_iter().find(|i| i.name == name)
    }

    /// Whether `name` is one of the table's global secondary indexes, which
    /// serve no strongly consistent reads and only their projection.
    pub fn is_global_index(&self, name: &str) -> bool {
        self.view()
            .global_secondary_indexes()
            .is_some_and(|g| g.iter().any(|x| x.index_name() == Some(name)))
    }
}

/// An index's key and projection from its stored description.
fn index_def(
    name: Option<&str>,
    schema: Option<List<'_, KeySchemaElement<'_>>>,
    projection: Option<Projection<'_>>,
) -> IndexDef {
    let (hash, range) = key_of(schema);
    IndexDef {
        name: name.unwrap_or("").to_string(),
        hash,
        range,
        projection: projection
            .and_then(|p| p.projection_type())
            .unwrap_or("ALL")
            .to_string(),
        non_key: each(projection.and_then(|p| p.non_key_attributes()))
            .map(String::from)
            .collect(),
    }
}

/// The table named by `TableName`, which may also be the table's ARN.
pub fn name_of(table_name: Option<&str>) -> String {
    let n = table_name.unwrap_or("");
    match n.strip_prefix("arn:").and_then(|_| n.split_once(":table/")) {
        Some((_, rest)) => rest.split('/').next().unwrap_or("").to_string(),
        None => n.to_string(),
    }
}

/// Validates a table name as AWS does.
pub fn check_name(name: &str, member: &str) -> Res<()> {
    if name.len() < 3 {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 3"
        )));
    }
    if name.len() > 255 {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to 255"
        )));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )));
    }
    Ok(())
}

/// A list member as AWS shows it in messages: its JSON (`null` when absent).
fn shown<'a, T: FromValue<'a> + 'a>(list: Option<List<'a, T>>) -> String {
    raw_list(list).map_or(Value::Null, Value::Array).to_string()
}

fn check_key_schema(
    schema: Option<List<'_, KeySchemaElement<'_>>>,
    defs: &[(String, String)],
    what: &str,
) -> Res<(String, Option<String>)> {
    let elems: Vec<KeySchemaElement<'_>> = elements(schema).collect();
    if elems.is_empty() || elems.len() > 2 {
        return Err(validation(format!(
            "1 validation error detected: Value '{}' at '{what}' failed to satisfy constraint: Member must have length {}",
            shown(schema),
            if elems.is_empty() {
                "greater than or equal to 1"
            } else {
                "less than or equal to 2"
            }
        )));
    }
    if elems[0].key_type() != Some("HASH") {
        return Err(validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if elems.len() == 2 {
        if elems[1].key_type() != Some("RANGE") {
            return Err(validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ));
        }
        if elems[0].attribute_name() == elems[1].attribute_name() {
            return Err(validation(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name",
            ));
        }
    }
    let (h, r) = key_of(schema);
    for k in std::iter::once(&h).chain(r.as_ref()) {
        if !defs.iter().any(|(n, _)| n == k) {
            let keys: Vec<String> = std::iter::once(h.clone()).chain(r.clone()).collect();
            let names: Vec<&str> = defs.iter().map(|(n, _)| n.as_str()).collect();
            return Err(validation(format!(
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                keys.join(", "),
                names.join(", ")
            )));
        }
    }
    Ok((h, r))
}

/// The ProvisionedThroughputDescription of a table or index created or
/// updated with billing mode `billing` and throughput `pt`; `what` ends the
/// messages.
fn throughput(pt: Option<ProvisionedThroughput<'_>>, billing: &str, what: &str) -> Res<Value> {
    let description = out::ProvisionedThroughputDescription::new().number_of_decreases_today(0);
    if billing == "PAY_PER_REQUEST" {
        if pt.is_some() {
            return Err(validation(format!(
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST{what}"
            )));
        }
        return Ok(description
            .read_capacity_units(0)
            .write_capacity_units(0)
            .into());
    }
    let Some(pt) = pt else {
        return Err(validation(format!(
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED{what}"
        )));
    };
    let (read, write) = (pt.read_capacity_units(), pt.write_capacity_units());
    for (units, member) in [(read, "readCapacityUnits"), (write, "writeCapacityUnits")] {
        if units.unwrap_or(0) < 1 {
            return Err(validation(format!(
                "1 validation error detected: Value '{}' at 'provisionedThroughput.{member}' failed to satisfy constraint: Member must have value greater than or equal to 1",
                units.map_or_else(|| "null".to_string(), |u| u.to_string()),
            )));
        }
    }
    Ok(description
        .read_capacity_units(read)
        .write_capacity_units(write)
        .into())
}

fn check_projection(p: Option<Projection<'_>>) -> Res<()> {
    let non_key = p.and_then(|p| p.non_key_attributes());
    match p.and_then(|p| p.projection_type()).unwrap_or("ALL") {
        "ALL" | "KEYS_ONLY" if non_key.is_some() => Err(validation(
            "One or more parameter values were invalid: ProjectionType is ALL or KEYS_ONLY, but NonKeyAttributes is specified",
        )),
        "INCLUDE" if non_key.is_none_or(|a| a.is_empty()) => Err(validation(
            "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        )),
        _ => Ok(()),
    }
}

/// What CreateTable's `GlobalSecondaryIndex` and UpdateTable's `Create`
/// action have in common.
#[derive(Clone, Copy)]
struct GsiSpec<'a> {
    name: Option<&'a str>,
    key_schema: Option<List<'a, KeySchemaElement<'a>>>,
    projection: Option<Projection<'a>>,
    throughput: Option<ProvisionedThroughput<'a>>,
}

impl<'a> From<ddb::GlobalSecondaryIndex<'a>> for GsiSpec<'a> {
    fn from(g: ddb::GlobalSecondaryIndex<'a>) -> Self {
        GsiSpec {
            name: g.index_name(),
            key_schema: g.key_schema(),
            projection: g.projection(),
            throughput: g.provisioned_throughput(),
        }
    }
}

impl<'a> From<ddb::CreateGlobalSecondaryIndexAction<'a>> for GsiSpec<'a> {
    fn from(g: ddb::CreateGlobalSecondaryIndexAction<'a>) -> Self {
        GsiSpec {
            name: g.index_name(),
            key_schema: g.key_schema(),
            projection: g.projection(),
            throughput: g.provisioned_throughput(),
        }
    }
}

/// A GSI description from its CreateTable/UpdateTable form.
fn gsi_desc(arn: &str, g: GsiSpec<'_>, defs: &[(String, String)], billing: &str) -> Res<Value> {
    let name = g.name.unwrap_or("");
    check_name(name, "globalSecondaryIndexes.member.indexName")?;
    check_key_schema(
        g.key_schema,
        defs,
        "globalSecondaryIndexes.member.keySchema",
    )?;
    check_projection(g.projection)?;
    let pt = throughput(g.throughput, billing, &format!(" (Service: AmazonDynamoDBv2; Index: {name})"))
        .map_err(|_| {
            validation(if billing == "PAY_PER_REQUEST" {
                "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: "
                    .to_string()
                    + name
                    + " when BillingMode is PAY_PER_REQUEST"
            } else {
                format!("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: {name}")
            })
        })?;
    Ok(out::GlobalSecondaryIndexDescription::new()
        .index_name(name)
        .key_schema(raw_list(g.key_schema))
        .projection(g.projection.map(|p| p.0.clone()))
        .index_status("ACTIVE")
        .provisioned_throughput(pt)
        .index_size_bytes(0)
        .item_count(0)
        .index_arn(format!("{arn}/index/{name}"))
        .warm_throughput(
            out::GlobalSecondaryIndexWarmThroughputDescription::new()
                .read_units_per_second(12000)
                .write_units_per_second(4000)
                .status("ACTIVE"),
        )
        .into())
}

/// An LSI description from its CreateTable form.
fn lsi_desc(arn: &str, l: ddb::LocalSecondaryIndex<'_>) -> Value {
    let name = l.index_name().unwrap_or("");
    out::LocalSecondaryIndexDescription::new()
        .index_name(name)
        .key_schema(raw_list(l.key_schema()))
        .projection(l.projection().map(|p| p.0.clone()))
        .index_size_bytes(0)
        .item_count(0)
        .index_arn(format!("{arn}/index/{name}"))
        .into()
}

fn defs_of(defs: Option<List<'_, AttributeDefinition<'_>>>) -> Res<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for a in each(defs) {
        let n = a.attribute_name().unwrap_or("").to_string();
        let t = a.attribute_type().unwrap_or("").to_string();
        if !["S", "N", "B"].contains(&t.as_str()) {
            return Err(validation(format!(
                "1 validation error detected: Value '{t}' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"
            )));
        }
        if out.iter().any(|(x, _)| *x == n) {
            return Err(validation(format!(
                "Cannot have two attributes with the same name. Attribute name: {n}"
            )));
        }
        out.push((n, t));
    }
    Ok(out)
}

fn sse_description(spec: Option<SSESpecification<'_>>, ctx: &Ctx) -> Option<Value> {
    let spec = spec.filter(|s| s.enabled() == Some(true))?;
    let key = spec
        .kms_master_key_id()
        .map(String::from)
        .unwrap_or_else(|| {
            format!(
                "arn:aws:kms:{}:{}:key/{}",
                ctx.region, ctx.account, "00000000-0000-4000-8000-000000000000"
            )
        });
    Some(
        out::SSEDescription::new()
            .status("ENABLED")
            .sse_type("KMS")
            .kms_master_key_arn(key)
            .into(),
    )
}

/// The BillingModeSummary of a table billed as `billing` from `now` (seconds).
fn billing_summary(billing: &str, now: f64) -> out::BillingModeSummary {
    if billing == "PAY_PER_REQUEST" {
        out::BillingModeSummary::new()
            .billing_mode(billing)
            .last_update_to_pay_per_request_date_time(now)
    } else {
        out::BillingModeSummary::new().billing_mode(billing)
    }
}

/// CreateTable: validates the schema and creates an ACTIVE table at once.
pub fn create(ctx: &Ctx, input: input::CreateTable<'_>) -> Res<Value> {
    let name = &name_of(input.table_name());
    check_name(name, "tableName")?;
    let defs = defs_of(input.attribute_definitions())?;
    let (hash, range) = check_key_schema(input.key_schema(), &defs, "keySchema")?;
    let billing = input.billing_mode().unwrap_or("PROVISIONED");
    let pt = throughput(input.provisioned_throughput(), billing, "")?;
    let arn = ruststack_sdk::ids::arn(
        "dynamodb",
        &ctx.region,
        &ctx.account,
        &format!("table/{name}"),
    );
    let mut used: Vec<String> = std::iter::once(hash.clone()).chain(range.clone()).collect();
    let now = ctx.now_ms as f64 / 1000.0;
    // Any mode but on-demand is summarised as PROVISIONED.
    let mode = if billing == "PAY_PER_REQUEST" {
        billing
    } else {
        "PROVISIONED"
    };
    let mut desc = out::TableDescription::new()
        .attribute_definitions(raw_list(input.attribute_definitions()))
        .table_name(name.as_str())
        .key_schema(raw_list(input.key_schema()))
        .table_status("ACTIVE")
        .creation_date_time(now)
        .provisioned_throughput(pt)
        .table_arn(arn.as_str())
        .table_id(ruststack_sdk::ids::uuid())
        .billing_mode_summary(billing_summary(mode, now))
        .table_class_summary(
            out::TableClassSummary::new().table_class(input.table_class().unwrap_or("STANDARD")),
        )
        .deletion_protection_enabled(input.deletion_protection_enabled().unwrap_or(false))
        .warm_throughput(
            out::TableWarmThroughputDescription::new()
                .read_units_per_second(12000)
                .write_units_per_second(4000)
                .status("ACTIVE"),
        );
    let mut names = std::collections::BTreeSet::new();
    if let Some(gsis) = input.global_secondary_indexes() {
        let mut descs = Vec::new();
        for g in gsis.iter() {
            let d = gsi_desc(&arn, g.into(), &defs, billing)?;
            let iname = g.index_name().unwrap_or("");
            if !names.insert(iname.to_string()) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Duplicate index name: {iname}"
                )));
            }
            let (h, r) = key_of(g.key_schema());
            used.extend(std::iter::once(h).chain(r));
            descs.push(d);
        }
        desc.set_global_secondary_indexes(descs);
    }
    if let Some(lsis) = input.local_secondary_indexes() {
        if range.is_none() {
            return Err(validation(
                "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        let mut descs = Vec::new();
        for l in lsis.iter() {
            let iname = l.index_name().unwrap_or("");
            check_name(iname, "localSecondaryIndexes.member.indexName")?;
            let (h, r) = check_key_schema(
                l.key_schema(),
                &defs,
                "localSecondaryIndexes.member.keySchema",
            )?;
            if h != hash || r.is_none() {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {iname}. index hash key: {h}, table hash key: {hash}"
                )));
            }
            check_projection(l.projection())?;
            if !names.insert(iname.to_string()) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Duplicate index name: {iname}"
                )));
            }
            used.extend(r);
            descs.push(lsi_desc(&arn, l));
        }
        desc.set_local_secondary_indexes(descs);
    }
    for (n, _) in &defs {
        if !used.contains(n) {
            return Err(validation(
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            ));
        }
    }
    if load(name).is_some() {
        return Err(AwsError::client(
            "ResourceInUseException",
            format!("Table already exists: {name}"),
        )
        .into());
    }
    let mut desc = Value::from(desc);
    apply_stream(&mut desc, input.stream_specification(), ctx)?;
    if let Some(sse) = sse_description(input.sse_specification(), ctx) {
        merge(&mut desc, out::TableDescription::new().sse_description(sse));
    }
    let tags: Vec<Value> = raw_list(input.tags()).unwrap_or_default();
    crate::admin::check_tags(&tags)?;
    let meta = TableMeta {
        desc,
        tags,
        ttl_attribute: None,
        pitr: false,
        ttl_gen: 0,
        keys: Default::default(),
    };
    save(&meta);
    Ok(output::CreateTable::new()
        .table_description(meta.desc.clone())
        .into())
}

/// Whether the stored description has an enabled stream.
fn stream_enabled(desc: &Value) -> bool {
    TableDescription(desc)
        .stream_specification()
        .and_then(|s| s.stream_enabled())
        == Some(true)
}

fn apply_stream(desc: &mut Value, spec: Option<StreamSpecification<'_>>, ctx: &Ctx) -> Res<()> {
    let Some(spec) = spec else {
        return Ok(());
    };
    let current = TableDescription(desc);
    if spec.stream_enabled() == Some(true) {
        if stream_enabled(desc) {
            return Err(validation(format!(
                "Table already has an enabled stream: {}",
                current.latest_stream_arn().unwrap_or("")
            )));
        }
        let vt = spec.stream_view_type().unwrap_or("");
        if !["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"].contains(&vt) {
            return Err(validation(
                "One or more parameter values were invalid: StreamViewType must be specified when StreamEnabled is true",
            ));
        }
        let label = format!("{}", ctx.now_ms);
        let arn = format!("{}/stream/{label}", current.table_arn().unwrap_or(""));
        let info = crate::streams::StreamInfo {
            arn: arn.clone(),
            table: current.table_name().unwrap_or("").to_string(),
            label: label.clone(),
            view_type: vt.to_string(),
            key_schema: raw_list(current.key_schema()).map_or(Value::Null, Value::Array),
            created: ctx.now_ms as f64 / 1000.0,
            enabled: true,
        };
        merge(
            desc,
            out::TableDescription::new()
                .stream_specification(
                    out::StreamSpecification::new()
                        .stream_enabled(true)
                        .stream_view_type(vt),
                )
                .latest_stream_label(label)
                .latest_stream_arn(arn),
        );
        crate::streams::register(info);
    } else {
        if spec.stream_view_type().is_some() {
            return Err(validation(
                "One or more parameter values were invalid: StreamViewType cannot be specified when StreamEnabled is false",
            ));
        }
        if stream_enabled(desc)
            && let Some(arn) = current.latest_stream_arn()
        {
            crate::streams::disable(arn);
        }
        remove_members(
            desc,
            out::TableDescription::new().stream_specification(true),
        );
    }
    Ok(())
}

/// A copy of the stored description `desc` with the members of `patch` set.
fn patched(desc: &Value, patch: impl Into<Value>) -> Value {
    let mut d = desc.clone();
    merge(&mut d, patch);
    d
}

/// The TableDescription with live item counts (of the table and of each index).
pub fn description(meta: &TableMeta) -> Value {
    let table = meta.name();
    let view = meta.view();
    let global = view.global_secondary_indexes().map(|l| {
        l.iter()
            .map(|g| {
                let (c, s) = storage::count_index(table, g.index_name().unwrap_or(""));
                let counts = out::GlobalSecondaryIndexDescription::new()
                    .item_count(c)
                    .index_size_bytes(s);
                patched(g.0, counts)
            })
            .collect::<Vec<_>>()
    });
    let local = view.local_secondary_indexes().map(|l| {
        l.iter()
            .map(|i| {
                let (c, s) = storage::count_index(table, i.index_name().unwrap_or(""));
                let counts = out::LocalSecondaryIndexDescription::new()
                    .item_count(c)
                    .index_size_bytes(s);
                patched(i.0, counts)
            })
            .collect::<Vec<_>>()
    });
    let (count, size) = storage::count_items(table);
    let counts = out::TableDescription::new()
        .item_count(count)
        .table_size_bytes(size)
        .global_secondary_indexes(global)
        .local_secondary_indexes(local);
    patched(&meta.desc, counts)
}

/// DescribeTable.
pub fn describe(input: input::DescribeTable<'_>) -> Res<Value> {
    let name = &name_of(input.table_name());
    check_name(name, "tableName")?;
    let meta = load(name).ok_or_else(|| table_not_found(name))?;
    Ok(output::DescribeTable::new()
        .table(description(&meta))
        .into())
}

/// ListTables, in name order, with `ExclusiveStartTableName` paging.
pub fn list(input: input::ListTables<'_>) -> Res<Value> {
    let limit = input.limit().unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value {}",
            if limit < 1 {
                "greater than or equal to 1"
            } else {
                "less than or equal to 100"
            }
        )));
    }
    let after = input
        .exclusive_start_table_name()
        .map(|s| Key::new().str(s).into_bytes());
    let page = tables().list(&Key::new(), after.as_deref(), limit as u32);
    let names: Vec<&str> = page.items.iter().map(|(_, m)| m.name()).collect();
    let last = names.last().copied().filter(|_| page.next.is_some());
    Ok(output::ListTables::new()
        .table_names(names)
        .last_evaluated_table_name(last)
        .into())
}

/// Whether an UpdateTable request asks for any change.
fn changes_anything(input: input::UpdateTable<'_>) -> bool {
    [
        input.provisioned_throughput().is_some(),
        input.billing_mode().is_some(),
        input.stream_specification().is_some(),
        input.global_secondary_index_updates().is_some(),
        input.sse_specification().is_some(),
        input.replica_updates().is_some(),
        input.deletion_protection_enabled().is_some(),
        input.table_class().is_some(),
        input.on_demand_throughput().is_some(),
        input.warm_throughput().is_some(),
    ]
    .contains(&true)
}

/// AWS's error for an index an UpdateTable names that the table lacks.
fn index_not_found(name: &str) -> crate::error::DdbError {
    AwsError::client(
        "ResourceNotFoundException",
        format!("Requested resource not found: Index: {name} not found"),
    )
    .into()
}

/// Applies one of UpdateTable's `GlobalSecondaryIndexUpdates` to the stored
/// description; the name of an index it creates is added to `backfill`.
fn update_gsi(
    meta: &mut TableMeta,
    u: ddb::GlobalSecondaryIndexUpdate<'_>,
    defs: &[(String, String)],
    billing: &str,
    backfill: &mut Vec<String>,
) -> Res<()> {
    let mut gsis = raw_list(meta.view().global_secondary_indexes()).unwrap_or_default();
    let named =
        |g: &Value, name: &str| GlobalSecondaryIndexDescription(g).index_name() == Some(name);
    if let Some(c) = u.create() {
        let d = gsi_desc(meta.arn(), c.into(), defs, billing)?;
        let iname = c.index_name().unwrap_or("").to_string();
        if meta.index(&iname).is_some() {
            return Err(validation(format!(
                "One or more parameter values were invalid: Index with name: {iname} already exists"
            )));
        }
        gsis.push(d);
        backfill.push(iname);
    } else if let Some(d) = u.delete() {
        let iname = d.index_name().unwrap_or("");
        let before = gsis.len();
        gsis.retain(|g| !named(g, iname));
        if gsis.len() == before {
            return Err(index_not_found(iname));
        }
        storage::drop_index(meta.name(), iname);
    } else if let Some(up) = u.update() {
        let iname = up.index_name().unwrap_or("");
        let Some(g) = gsis.iter_mut().find(|g| named(g, iname)) else {
            return Err(index_not_found(iname));
        };
        if up.provisioned_throughput().is_some() {
            let pt = throughput(up.provisioned_throughput(), billing, "")?;
            merge(
                g,
                out::GlobalSecondaryIndexDescription::new().provisioned_throughput(pt),
            );
        }
    }
    if gsis.is_empty() {
        remove_members(
            &mut meta.desc,
            out::TableDescription::new().global_secondary_indexes(true),
        );
    } else {
        merge(
            &mut meta.desc,
            out::TableDescription::new().global_secondary_indexes(gsis),
        );
    }
    Ok(())
}

/// UpdateTable: billing mode, throughput, GSIs, streams, deletion protection, table class.
pub fn update(ctx: &Ctx, input: input::UpdateTable<'_>) -> Res<Value> {
    let name = &name_of(input.table_name());
    check_name(name, "tableName")?;
    let mut meta = load(name).ok_or_else(|| table_not_found(name))?;
    if !changes_anything(input) {
        return Err(validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    if input.replica_updates().is_some() {
        return Err(
            AwsError::not_implemented("UpdateTable with ReplicaUpdates (global tables)").into(),
        );
    }
    // New attribute definitions merge with the existing ones.
    let mut defs = defs_of(meta.view().attribute_definitions())?;
    for (n, t) in defs_of(input.attribute_definitions())? {
        if let Some(e) = defs.iter_mut().find(|(x, _)| *x == n) {
            e.1 = t;
        } else {
            defs.push((n, t));
        }
    }
    let mut billing = meta
        .view()
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .unwrap_or("PROVISIONED")
        .to_string();
    if let Some(b) = input.billing_mode() {
        billing = b.to_string();
        let pt = throughput(input.provisioned_throughput(), b, "")?;
        let summary = billing_summary(b, ctx.now_ms as f64 / 1000.0);
        merge(
            &mut meta.desc,
            out::TableDescription::new()
                .provisioned_throughput(pt)
                .billing_mode_summary(summary),
        );
    } else if input.provisioned_throughput().is_some() {
        let pt = throughput(input.provisioned_throughput(), &billing, "")?;
        merge(
            &mut meta.desc,
            out::TableDescription::new().provisioned_throughput(pt),
        );
    }
    let mut backfill = Vec::new();
    for u in each(input.global_secondary_index_updates()) {
        update_gsi(&mut meta, u, &defs, &billing, &mut backfill)?;
    }
    let definitions: Vec<out::AttributeDefinition> = defs
        .iter()
        .map(|(n, t)| {
            out::AttributeDefinition::new()
                .attribute_name(n.as_str())
                .attribute_type(t.as_str())
        })
        .collect();
    merge(
        &mut meta.desc,
        out::TableDescription::new().attribute_definitions(definitions),
    );
    if input.stream_specification().is_some() {
        apply_stream(&mut meta.desc, input.stream_specification(), ctx)?;
    }
    if let Some(p) = input.deletion_protection_enabled() {
        merge(
            &mut meta.desc,
            out::TableDescription::new().deletion_protection_enabled(p),
        );
    }
    if let Some(c) = input.table_class() {
        merge(
            &mut meta.desc,
            out::TableDescription::new()
                .table_class_summary(out::TableClassSummary::new().table_class(c)),
        );
    }
    if let Some(sse) = sse_description(input.sse_specification(), ctx) {
        merge(
            &mut meta.desc,
            out::TableDescription::new().sse_description(sse),
        );
    }
    save(&meta);
    for iname in backfill {
        storage::backfill_index(&meta, &iname);
    }
    Ok(output::UpdateTable::new()
        .table_description(description(&meta))
        .into())
}

/// DeleteTable: removes the table, its items and index entries.
pub fn delete(input: input::DeleteTable<'_>) -> Res<Value> {
    let name = &name_of(input.table_name());
    check_name(name, "tableName")?;
    let meta = load(name).ok_or_else(|| table_not_found(name))?;
    if meta.view().deletion_protection_enabled() == Some(true) {
        return Err(validation(
            "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
        ));
    }
    let mut d = description(&meta);
    merge(
        &mut d,
        out::TableDescription::new().table_status("DELETING"),
    );
    // AWS's DeleteTable description leaves out the schema, the creation
    // time and the indexes.
    remove_members(
        &mut d,
        out::TableDescription::new()
            .attribute_definitions(true)
            .key_schema(true)
            .creation_date_time(true)
            .global_secondary_indexes(true)
            .local_secondary_indexes(true),
    );
    if let Some(arn) = meta.view().latest_stream_arn() {
        crate::streams::disable(arn);
    }
    storage::drop_table(name);
    tables().delete(&Key::new().str(name));
    Ok(output::DeleteTable::new().table_description(d).into())
}

/// The tables of this account and region with their item counts and key
/// schemas, for the operator's console.
pub fn resources() -> Vec<ruststack_sdk::Resource> {
    tables()
        .all()
        .into_iter()
        .map(|(_, meta)| {
            let (count, _) = storage::count_items(meta.name());
            let keys: Vec<String> = elements(meta.view().key_schema())
                .map(|k| {
                    format!(
                        "{} ({})",
                        k.attribute_name().unwrap_or(""),
                        k.key_type().unwrap_or("")
                    )
                })
                .collect();
            ruststack_sdk::Resource {
                kind: "table".into(),
                name: meta.name().to_string(),
                count: Some(count),
                detail: keys.join(", "),
            }
        })
        .collect()
}

//! Tables: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable,
//! and the stored table metadata every item operation reads.

use ruststack_sdk::AwsError;
use ruststack_sdk::keys::Key;
use ruststack_sdk::table::Table;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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

/// The table for an item operation, or ResourceNotFoundException. Shared:
/// item operations only read it, and it is parsed once per instance.
pub fn require(input: &Value) -> Res<std::rc::Rc<TableMeta>> {
    let name = &crate::table::name_of(input);
    check_name(name, "tableName")?;
    tables()
        .get_shared(&Key::new().str(name))
        .ok_or_else(crate::error::not_found)
}

fn key_of(schema: &Value) -> (String, Option<String>) {
    let mut hash = String::new();
    let mut range = None;
    for k in schema.as_array().into_iter().flatten() {
        let n = k["AttributeName"].as_str().unwrap_or("").to_string();
        if k["KeyType"] == "HASH" {
            hash = n;
        } else {
            range = Some(n);
        }
    }
    (hash, range)
}

impl TableMeta {
    /// Table name.
    pub fn name(&self) -> &str {
        self.desc["TableName"].as_str().unwrap_or("")
    }

    /// Table ARN.
    pub fn arn(&self) -> &str {
        self.desc["TableArn"].as_str().unwrap_or("")
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
        self.keys.get_or_init(|| key_of(&self.desc["KeySchema"]))
    }

    /// Declared type (`S`, `N`, `B`) of an attribute.
    pub fn attr_type(&self, name: &str) -> String {
        self.desc["AttributeDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["AttributeName"] == name)
            .and_then(|a| a["AttributeType"].as_str())
            .unwrap_or("S")
            .to_string()
    }

    /// All secondary indexes (global then local).
    pub fn indexes(&self) -> Vec<IndexDef> {
        ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
            .iter()
            .flat_map(|f| self.desc[*f].as_array().cloned().unwrap_or_default())
            .map(|i| {
                let (hash, range) = key_of(&i["KeySchema"]);
                IndexDef {
                    name: i["IndexName"].as_str().unwrap_or("").to_string(),
                    hash,
                    range,
                    projection: i["Projection"]["ProjectionType"]
                        .as_str()
                        .unwrap_or("ALL")
                        .to_string(),
                    non_key: i["Projection"]["NonKeyAttributes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect(),
                }
            })
            .collect()
    }

    /// The index called `name`.
    pub fn index(&self, name: &str) -> Option<IndexDef> {
        self.indexes().into_iter().find(|i| i.name == name)
    }

    /// Whether `name` is one of the table's global secondary indexes, which
    /// serve no strongly consistent reads and only their projection.
    pub fn is_global_index(&self, name: &str) -> bool {
        self.desc["GlobalSecondaryIndexes"]
            .as_array()
            .is_some_and(|g| g.iter().any(|x| x["IndexName"] == name))
    }
}

/// The table named by `TableName`, which may also be the table's ARN.
pub fn name_of(input: &Value) -> String {
    let n = input["TableName"].as_str().unwrap_or("");
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

fn check_key_schema(
    schema: &Value,
    defs: &[(String, String)],
    what: &str,
) -> Res<(String, Option<String>)> {
    let elems = schema.as_array().cloned().unwrap_or_default();
    if elems.is_empty() || elems.len() > 2 {
        return Err(validation(format!(
            "1 validation error detected: Value '{schema}' at '{what}' failed to satisfy constraint: Member must have length {}",
            if elems.is_empty() {
                "greater than or equal to 1"
            } else {
                "less than or equal to 2"
            }
        )));
    }
    if elems[0]["KeyType"] != "HASH" {
        return Err(validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if elems.len() == 2 {
        if elems[1]["KeyType"] != "RANGE" {
            return Err(validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            ));
        }
        if elems[0]["AttributeName"] == elems[1]["AttributeName"] {
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

fn throughput(input: &Value, billing: &str, what: &str) -> Res<Value> {
    let pt = &input["ProvisionedThroughput"];
    if billing == "PAY_PER_REQUEST" {
        if !pt.is_null() {
            return Err(validation(format!(
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST{what}"
            )));
        }
        return Ok(
            json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}),
        );
    }
    if pt.is_null() {
        return Err(validation(format!(
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED{what}"
        )));
    }
    for f in ["ReadCapacityUnits", "WriteCapacityUnits"] {
        if pt[f].as_i64().unwrap_or(0) < 1 {
            return Err(validation(format!(
                "1 validation error detected: Value '{}' at 'provisionedThroughput.{}' failed to satisfy constraint: Member must have value greater than or equal to 1",
                pt[f],
                if f == "ReadCapacityUnits" {
                    "readCapacityUnits"
                } else {
                    "writeCapacityUnits"
                }
            )));
        }
    }
    Ok(
        json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": pt["ReadCapacityUnits"], "WriteCapacityUnits": pt["WriteCapacityUnits"]}),
    )
}

fn check_projection(p: &Value) -> Res<()> {
    match p["ProjectionType"].as_str().unwrap_or("ALL") {
        "ALL" | "KEYS_ONLY" if !p["NonKeyAttributes"].is_null() => Err(validation(
            "One or more parameter values were invalid: ProjectionType is ALL or KEYS_ONLY, but NonKeyAttributes is specified",
        )),
        "INCLUDE"
            if p["NonKeyAttributes"]
                .as_array()
                .is_none_or(|a| a.is_empty()) =>
        {
            Err(validation(
                "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
            ))
        }
        _ => Ok(()),
    }
}

/// A GSI description from its CreateTable/UpdateTable form.
fn gsi_desc(arn: &str, g: &Value, defs: &[(String, String)], billing: &str) -> Res<Value> {
    let name = g["IndexName"].as_str().unwrap_or("");
    check_name(name, "globalSecondaryIndexes.member.indexName")?;
    check_key_schema(
        &g["KeySchema"],
        defs,
        "globalSecondaryIndexes.member.keySchema",
    )?;
    check_projection(&g["Projection"])?;
    let pt = throughput(g, billing, &format!(" (Service: AmazonDynamoDBv2; Index: {name})"))
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
    Ok(json!({
        "IndexName": name,
        "KeySchema": g["KeySchema"],
        "Projection": g["Projection"],
        "IndexStatus": "ACTIVE",
        "ProvisionedThroughput": pt,
        "IndexSizeBytes": 0,
        "ItemCount": 0,
        "IndexArn": format!("{arn}/index/{name}"),
        "WarmThroughput": {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"},
    }))
}

fn defs_of(input: &Value) -> Res<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for a in input["AttributeDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let n = a["AttributeName"].as_str().unwrap_or("").to_string();
        let t = a["AttributeType"].as_str().unwrap_or("").to_string();
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

fn sse_description(spec: &Value, ctx: &Ctx) -> Option<Value> {
    if spec["Enabled"] != true {
        return None;
    }
    let key = spec["KMSMasterKeyId"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| {
            format!(
                "arn:aws:kms:{}:{}:key/{}",
                ctx.region, ctx.account, "00000000-0000-4000-8000-000000000000"
            )
        });
    Some(json!({"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key}))
}

/// CreateTable: validates the schema and creates an ACTIVE table at once.
pub fn create(ctx: &Ctx, input: &Value) -> Res<Value> {
    let name = &crate::table::name_of(input);
    check_name(name, "tableName")?;
    let defs = defs_of(input)?;
    let (hash, range) = check_key_schema(&input["KeySchema"], &defs, "keySchema")?;
    let billing = input["BillingMode"].as_str().unwrap_or("PROVISIONED");
    let pt = throughput(input, billing, "")?;
    let arn = ruststack_sdk::ids::arn(
        "dynamodb",
        &ctx.region,
        &ctx.account,
        &format!("table/{name}"),
    );
    let mut used: Vec<String> = std::iter::once(hash.clone()).chain(range.clone()).collect();
    let mut desc = json!({
        "AttributeDefinitions": input["AttributeDefinitions"],
        "TableName": name,
        "KeySchema": input["KeySchema"],
        "TableStatus": "ACTIVE",
        "CreationDateTime": ctx.now_ms as f64 / 1000.0,
        "ProvisionedThroughput": pt,
        "TableArn": arn,
        "TableId": ruststack_sdk::ids::uuid(),
        "BillingModeSummary": {"BillingMode": billing, "LastUpdateToPayPerRequestDateTime": ctx.now_ms as f64 / 1000.0},
        "TableClassSummary": {"TableClass": input["TableClass"].as_str().unwrap_or("STANDARD")},
        "DeletionProtectionEnabled": input["DeletionProtectionEnabled"].as_bool().unwrap_or(false),
        "WarmThroughput": {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"},
    });
    if billing != "PAY_PER_REQUEST" {
        desc.as_object_mut()
            .expect("object")
            .remove("BillingModeSummary");
        desc["BillingModeSummary"] = json!({"BillingMode": "PROVISIONED"});
    }
    let mut names = std::collections::BTreeSet::new();
    if let Some(gsis) = input["GlobalSecondaryIndexes"].as_array() {
        let mut out = Vec::new();
        for g in gsis {
            let d = gsi_desc(&arn, g, &defs, billing)?;
            if !names.insert(d["IndexName"].as_str().unwrap_or("").to_string()) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Duplicate index name: {}",
                    d["IndexName"].as_str().unwrap_or("")
                )));
            }
            let (h, r) = key_of(&g["KeySchema"]);
            used.extend(std::iter::once(h).chain(r));
            out.push(d);
        }
        desc["GlobalSecondaryIndexes"] = Value::Array(out);
    }
    if let Some(lsis) = input["LocalSecondaryIndexes"].as_array() {
        if range.is_none() {
            return Err(validation(
                "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        let mut out = Vec::new();
        for l in lsis {
            let iname = l["IndexName"].as_str().unwrap_or("");
            check_name(iname, "localSecondaryIndexes.member.indexName")?;
            let (h, r) = check_key_schema(
                &l["KeySchema"],
                &defs,
                "localSecondaryIndexes.member.keySchema",
            )?;
            if h != hash || r.is_none() {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {iname}. index hash key: {h}, table hash key: {hash}"
                )));
            }
            check_projection(&l["Projection"])?;
            if !names.insert(iname.to_string()) {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Duplicate index name: {iname}"
                )));
            }
            used.extend(r);
            out.push(json!({
                "IndexName": iname,
                "KeySchema": l["KeySchema"],
                "Projection": l["Projection"],
                "IndexSizeBytes": 0,
                "ItemCount": 0,
                "IndexArn": format!("{arn}/index/{iname}"),
            }));
        }
        desc["LocalSecondaryIndexes"] = Value::Array(out);
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
    apply_stream(&mut desc, &input["StreamSpecification"], ctx)?;
    if let Some(sse) = sse_description(&input["SSESpecification"], ctx) {
        desc["SSEDescription"] = sse;
    }
    let tags: Vec<Value> = input["Tags"].as_array().cloned().unwrap_or_default();
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
    let mut out = meta.desc.clone();
    out["TableStatus"] = json!("ACTIVE");
    Ok(json!({ "TableDescription": out }))
}

fn apply_stream(desc: &mut Value, spec: &Value, ctx: &Ctx) -> Res<()> {
    if spec.is_null() {
        return Ok(());
    }
    if spec["StreamEnabled"] == true {
        if desc["StreamSpecification"]["StreamEnabled"] == true {
            return Err(validation(format!(
                "Table already has an enabled stream: {}",
                desc["LatestStreamArn"].as_str().unwrap_or("")
            )));
        }
        let vt = spec["StreamViewType"].as_str().unwrap_or("");
        if !["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"].contains(&vt) {
            return Err(validation(
                "One or more parameter values were invalid: StreamViewType must be specified when StreamEnabled is true",
            ));
        }
        let label = format!("{}", ctx.now_ms);
        let arn = format!("{}/stream/{label}", desc["TableArn"].as_str().unwrap_or(""));
        desc["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": vt});
        desc["LatestStreamLabel"] = json!(label);
        desc["LatestStreamArn"] = json!(arn);
        crate::streams::register(crate::streams::StreamInfo {
            arn,
            table: desc["TableName"].as_str().unwrap_or("").to_string(),
            label,
            view_type: vt.to_string(),
            key_schema: desc["KeySchema"].clone(),
            created: ctx.now_ms as f64 / 1000.0,
            enabled: true,
        });
    } else {
        if !spec["StreamViewType"].is_null() {
            return Err(validation(
                "One or more parameter values were invalid: StreamViewType cannot be specified when StreamEnabled is false",
            ));
        }
        if desc["StreamSpecification"]["StreamEnabled"] == true
            && let Some(arn) = desc["LatestStreamArn"].as_str()
        {
            crate::streams::disable(arn);
        }
        if let Some(o) = desc.as_object_mut() {
            o.remove("StreamSpecification");
        }
    }
    Ok(())
}

/// The TableDescription with live item counts.
pub fn description(meta: &TableMeta) -> Value {
    let mut d = meta.desc.clone();
    let (count, size) = storage::count_items(meta.name());
    d["ItemCount"] = json!(count);
    d["TableSizeBytes"] = json!(size);
    if let Some(gs) = d["GlobalSecondaryIndexes"].as_array_mut() {
        for g in gs {
            let (c, s) = storage::count_index(meta.name(), g["IndexName"].as_str().unwrap_or(""));
            g["ItemCount"] = json!(c);
            g["IndexSizeBytes"] = json!(s);
        }
    }
    if let Some(ls) = d["LocalSecondaryIndexes"].as_array_mut() {
        for l in ls {
            let (c, s) = storage::count_index(meta.name(), l["IndexName"].as_str().unwrap_or(""));
            l["ItemCount"] = json!(c);
            l["IndexSizeBytes"] = json!(s);
        }
    }
    d
}

/// DescribeTable.
pub fn describe(input: &Value) -> Res<Value> {
    let name = &crate::table::name_of(input);
    check_name(name, "tableName")?;
    let meta = load(name).ok_or_else(|| table_not_found(name))?;
    Ok(json!({ "Table": description(&meta) }))
}

/// ListTables, in name order, with `ExclusiveStartTableName` paging.
pub fn list(input: &Value) -> Res<Value> {
    let limit = input["Limit"].as_i64().unwrap_or(100);
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
    let after = input["ExclusiveStartTableName"]
        .as_str()
        .map(|s| Key::new().str(s).into_bytes());
    let page = tables().list(&Key::new(), after.as_deref(), limit as u32);
    let names: Vec<Value> = page.items.iter().map(|(_, m)| json!(m.name())).collect();
    let mut out = json!({ "TableNames": names });
    if page.next.is_some()
        && let Some(last) = names.last()
    {
        out["LastEvaluatedTableName"] = last.clone();
    }
    Ok(out)
}

/// UpdateTable: billing mode, throughput, GSIs, streams, deletion protection, table class.
pub fn update(ctx: &Ctx, input: &Value) -> Res<Value> {
    let name = &crate::table::name_of(input);
    check_name(name, "tableName")?;
    let mut meta = load(name).ok_or_else(|| table_not_found(name))?;
    let changes = [
        "ProvisionedThroughput",
        "BillingMode",
        "StreamSpecification",
        "GlobalSecondaryIndexUpdates",
        "SSESpecification",
        "ReplicaUpdates",
        "DeletionProtectionEnabled",
        "TableClass",
        "OnDemandThroughput",
        "WarmThroughput",
    ];
    if !changes.iter().any(|c| input.get(*c).is_some()) {
        return Err(validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    if input.get("ReplicaUpdates").is_some() {
        return Err(
            AwsError::not_implemented("UpdateTable with ReplicaUpdates (global tables)").into(),
        );
    }
    let arn = meta.arn().to_string();
    // New attribute definitions merge with the existing ones.
    let mut defs = defs_of(&meta.desc)?;
    for (n, t) in defs_of(input)? {
        if let Some(e) = defs.iter_mut().find(|(x, _)| *x == n) {
            e.1 = t;
        } else {
            defs.push((n, t));
        }
    }
    let mut billing = meta.desc["BillingModeSummary"]["BillingMode"]
        .as_str()
        .unwrap_or("PROVISIONED")
        .to_string();
    if let Some(b) = input["BillingMode"].as_str() {
        billing = b.to_string();
        let pt = throughput(input, b, "")?;
        meta.desc["ProvisionedThroughput"] = pt;
        meta.desc["BillingModeSummary"] = if b == "PAY_PER_REQUEST" {
            json!({"BillingMode": b, "LastUpdateToPayPerRequestDateTime": ctx.now_ms as f64 / 1000.0})
        } else {
            json!({"BillingMode": b})
        };
    } else if !input["ProvisionedThroughput"].is_null() {
        meta.desc["ProvisionedThroughput"] = throughput(input, &billing, "")?;
    }
    let mut backfill = Vec::new();
    for u in input["GlobalSecondaryIndexUpdates"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let mut gsis = meta.desc["GlobalSecondaryIndexes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(c) = u.get("Create") {
            let d = gsi_desc(&arn, c, &defs, &billing)?;
            let iname = d["IndexName"].as_str().unwrap_or("").to_string();
            if meta.index(&iname).is_some() {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Index with name: {iname} already exists"
                )));
            }
            gsis.push(d);
            backfill.push(iname);
        } else if let Some(d) = u.get("Delete") {
            let iname = d["IndexName"].as_str().unwrap_or("");
            let before = gsis.len();
            gsis.retain(|g| g["IndexName"] != iname);
            if gsis.len() == before {
                return Err(AwsError::client(
                    "ResourceNotFoundException",
                    format!("Requested resource not found: Index: {iname} not found"),
                )
                .into());
            }
            storage::drop_index(name, iname);
        } else if let Some(up) = u.get("Update") {
            let iname = up["IndexName"].as_str().unwrap_or("");
            let Some(g) = gsis.iter_mut().find(|g| g["IndexName"] == iname) else {
                return Err(AwsError::client(
                    "ResourceNotFoundException",
                    format!("Requested resource not found: Index: {iname} not found"),
                )
                .into());
            };
            if !up["ProvisionedThroughput"].is_null() {
                g["ProvisionedThroughput"] = throughput(up, &billing, "")?;
            }
        }
        meta.desc["GlobalSecondaryIndexes"] = Value::Array(gsis);
        if meta.desc["GlobalSecondaryIndexes"]
            .as_array()
            .is_some_and(|a| a.is_empty())
            && let Some(o) = meta.desc.as_object_mut()
        {
            o.remove("GlobalSecondaryIndexes");
        }
    }
    meta.desc["AttributeDefinitions"] = Value::Array(
        defs.iter()
            .map(|(n, t)| json!({"AttributeName": n, "AttributeType": t}))
            .collect(),
    );
    if !input["StreamSpecification"].is_null() {
        apply_stream(&mut meta.desc, &input["StreamSpecification"], ctx)?;
    }
    if let Some(p) = input["DeletionProtectionEnabled"].as_bool() {
        meta.desc["DeletionProtectionEnabled"] = json!(p);
    }
    if let Some(c) = input["TableClass"].as_str() {
        meta.desc["TableClassSummary"] = json!({"TableClass": c});
    }
    if let Some(sse) = input
        .get("SSESpecification")
        .and_then(|s| sse_description(s, ctx))
    {
        meta.desc["SSEDescription"] = sse;
    }
    save(&meta);
    for iname in backfill {
        storage::backfill_index(&meta, &iname);
    }
    Ok(json!({ "TableDescription": description(&meta) }))
}

/// DeleteTable: removes the table, its items and index entries.
pub fn delete(input: &Value) -> Res<Value> {
    let name = &crate::table::name_of(input);
    check_name(name, "tableName")?;
    let meta = load(name).ok_or_else(|| table_not_found(name))?;
    if meta.desc["DeletionProtectionEnabled"] == true {
        return Err(validation(
            "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
        ));
    }
    let mut d = description(&meta);
    d["TableStatus"] = json!("DELETING");
    // AWS's DeleteTable description leaves out the schema, the creation
    // time and the indexes.
    if let Some(o) = d.as_object_mut() {
        for member in [
            "AttributeDefinitions",
            "KeySchema",
            "CreationDateTime",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
        ] {
            o.remove(member);
        }
    }
    if let Some(arn) = meta.desc["LatestStreamArn"].as_str() {
        crate::streams::disable(arn);
    }
    storage::drop_table(name);
    tables().delete(&Key::new().str(name));
    Ok(json!({ "TableDescription": d }))
}

/// The tables of this account and region with their item counts and key
/// schemas, for the operator's console.
pub fn resources() -> Vec<ruststack_sdk::Resource> {
    tables()
        .all()
        .into_iter()
        .map(|(_, meta)| {
            let (count, _) = storage::count_items(meta.name());
            let keys: Vec<String> = meta.desc["KeySchema"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|k| {
                    format!(
                        "{} ({})",
                        k["AttributeName"].as_str().unwrap_or(""),
                        k["KeyType"].as_str().unwrap_or("")
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

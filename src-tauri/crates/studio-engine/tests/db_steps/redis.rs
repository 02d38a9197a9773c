//! `redis_set` and `redis_get` on the private Redis.

use super::*;

// ---------------------------------------------------------------------------------------------
// Redis

#[tokio::test]
async fn redis_values_round_trip_with_their_time_to_live() {
    let redis = services::redis();
    let url = redis.url.clone();
    let ran = run(
        &[],
        json!([
            step(
                "set_text",
                "redis_set",
                json!({"connection": url, "key": "greeting", "value": "hello"})
            ),
            step(
                "set_json",
                "redis_set",
                json!({"url": url, "key": "session:user:123",
                "value": {"user_id": 123, "active": true, "roles": ["a", "b"]}, "ttl": 3600})
            ),
            step(
                "set_seed",
                "redis_set",
                json!({"connection": url, "key": "session:seed",
                "value": "{\"user_id\": 123, \"active\": true}", "expire": 60})
            ),
            step(
                "nx_taken",
                "redis_set",
                json!({"redis_url": url, "key": "greeting", "value": "other", "nx": true})
            ),
            step(
                "nx_free",
                "redis_set",
                json!({"connection": url, "key": "fresh", "value": 42, "nx": true, "ex": 5})
            ),
            step(
                "get_text",
                "redis_get",
                json!({"connection": url, "key": "greeting"})
            ),
            step(
                "get_json",
                "redis_get",
                json!({"connection": url, "key": "session:user:123"})
            ),
            step(
                "get_seed",
                "redis_get",
                json!({"connection": url, "key": "session:seed"})
            ),
            step(
                "get_number",
                "redis_get",
                json!({"connection": url, "key": "fresh"})
            ),
            step(
                "missing",
                "redis_get",
                json!({"connection": url, "key": "nope"})
            ),
            step(
                "zero_ttl",
                "redis_set",
                json!({"connection": url, "key": "z", "value": "v", "ttl": 0})
            ),
        ]),
    )
    .await;
    assert_eq!(
        ran.output("set_text"),
        &json!({"key": "greeting", "set": true, "value": "hello", "ttl": null})
    );
    assert_eq!(
        ran.output("set_json")["value"],
        json!("{\"active\":true,\"roles\":[\"a\",\"b\"],\"user_id\":123}")
    );
    assert_eq!(ran.output("nx_taken")["set"], json!(false));
    assert_eq!(ran.output("nx_free")["set"], json!(true));
    assert_eq!(
        ran.output("get_text"),
        &json!({"key": "greeting", "exists": true, "value": "hello", "json": null, "ttl": null}),
        "nx did not overwrite"
    );
    let get_json = ran.output("get_json");
    assert_eq!(
        get_json["json"],
        json!({"user_id": 123, "active": true, "roles": ["a", "b"]})
    );
    let ttl = get_json["ttl"].as_i64().unwrap();
    assert!(ttl > 0 && ttl <= 3600, "{ttl}");
    assert_eq!(
        ran.output("get_seed")["json"],
        json!({"user_id": 123, "active": true})
    );
    assert_eq!(ran.output("get_number")["json"], json!(42));
    assert_eq!(ran.output("get_number")["value"], json!("42"));
    assert_eq!(
        ran.output("missing"),
        &json!({"key": "nope", "exists": false, "value": null, "json": null, "ttl": null})
    );
    let (error, _) = ran.failure("zero_ttl");
    assert!(error.contains("at least 1 second"), "{error}");

    // Read back outside the engine: the same text and a time to live.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let (text, ttl): (String, i64) = redis::pipe()
        .cmd("GET")
        .arg("session:user:123")
        .cmd("TTL")
        .arg("session:user:123")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["user_id"],
        json!(123)
    );
    assert!(ttl > 0);
    let _: () = redis::cmd("RPUSH")
        .arg("a_list")
        .arg("x")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg("greeting")
        .arg("session:user:123")
        .arg("session:seed")
        .arg("fresh")
        .query_async(&mut conn)
        .await
        .unwrap();

    let wrong = format!("redis://:wrong-{PASSWORD_IN_URL}@127.0.0.1:{}", redis.port);
    let ran = run_with(
        &[],
        json!([
            step(
                "wrong_type",
                "redis_get",
                json!({"connection": url, "key": "a_list"})
            ),
            step(
                "wrong_password",
                "redis_get",
                json!({"connection": wrong, "key": "k"})
            ),
            step(
                "by_name",
                "redis_set",
                json!({"connection": "cache", "key": "named", "value": "via CACHE_URL"})
            ),
            step(
                "no_name",
                "redis_get",
                json!({"connection": "sessions", "key": "k"})
            ),
        ]),
        &[("CACHE_URL", &url)],
        json!({}),
    )
    .await;
    let (error, _) = ran.failure("wrong_type");
    assert!(error.contains("WRONGTYPE"), "{error}");
    let (error, _) = ran.failure("wrong_password");
    assert!(
        error.contains("redis://:***@127.0.0.1") && !error.contains("wrong-"),
        "{error}"
    );
    assert_eq!(ran.output("by_name")["set"], json!(true));
    let (error, _) = ran.failure("no_name");
    assert!(
        error.contains("the environment variable SESSIONS_URL is not set"),
        "{error}"
    );
    assert_no_password(&ran.result);
    let _: () = redis::cmd("DEL")
        .arg("a_list")
        .arg("named")
        .query_async(&mut conn)
        .await
        .unwrap();
}

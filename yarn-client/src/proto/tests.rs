//! Wire-level tests of the YARN messages: hand-computed byte vectors (so a wrong wire type or
//! varint flavour fails), proto2 defaults, unknown fields and enum values, and round trips of
//! the large messages.

use prost::Message;

use super::am_protocol::*;
use super::client_protocol::*;
use super::hadoop_common::TokenProto;
use super::nm_protocol::*;
use super::security_tokens::*;
use super::yarn_records::*;

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn unhex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|pair| u8::from_str_radix(pair, 16).expect("test vector is hex"))
        .collect()
}

fn app_id(id: i32, cluster_timestamp: i64) -> ApplicationIdProto {
    ApplicationIdProto {
        id: Some(id),
        cluster_timestamp: Some(cluster_timestamp),
    }
}

fn container_id(seq: i64) -> ContainerIdProto {
    ContainerIdProto {
        app_id: None,
        app_attempt_id: Some(ApplicationAttemptIdProto {
            application_id: Some(app_id(7, 1_700_000_000_000)),
            attempt_id: Some(1),
        }),
        id: Some(seq),
    }
}

fn token(kind: &str) -> TokenProto {
    TokenProto {
        identifier: vec![1, 2, 3],
        password: vec![9; 20],
        kind: kind.to_string(),
        service: "host1:45454".to_string(),
    }
}

fn round_trip<M: Message + Default + PartialEq + std::fmt::Debug>(message: &M) {
    let bytes = message.encode_to_vec();
    let decoded = M::decode(bytes.as_slice()).expect("decodes what it encoded");
    assert_eq!(&decoded, message);
    assert_eq!(
        decoded.encode_to_vec(),
        bytes,
        "re-encoding is byte-identical"
    );
}

// ---- hand-computed byte vectors ----

#[test]
fn application_id_bytes() {
    // field 1 varint (08) 7; field 2 varint (10) 1700000000000 = 80 d0 95 ff bc 31
    let bytes = app_id(7, 1_700_000_000_000).encode_to_vec();
    assert_eq!(hex(&bytes), "08 07 10 80 d0 95 ff bc 31");
    let decoded = ApplicationIdProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(decoded, app_id(7, 1_700_000_000_000));
}

#[test]
fn container_id_bytes_with_epoch() {
    // id = (17 << 40) | 5 as int64 varint; app_id (field 1) absent like Java writes it.
    let bytes = container_id((17 << 40) | 5).encode_to_vec();
    assert_eq!(
        hex(&bytes),
        "12 0d 0a 09 08 07 10 80 d0 95 ff bc 31 10 01 18 85 80 80 80 80 a0 04"
    );
}

#[test]
fn resource_request_bytes() {
    let request = ResourceRequestProto {
        priority: Some(PriorityProto { priority: Some(1) }),
        resource_name: Some("*".to_string()),
        capability: Some(ResourceProto {
            memory: Some(1728),
            virtual_cores: Some(1),
            resource_value_map: vec![],
        }),
        num_containers: Some(3),
        relax_locality: Some(true),
        ..Default::default()
    };
    // 0a 02 [08 01]            priority {priority 1}
    // 12 01 2a                 resource_name "*"
    // 1a 05 [08 c0 0d 10 01]   capability {memory 1728, virtual_cores 1}
    // 20 03                    num_containers 3
    // 28 01                    relax_locality true (set, so encoded although it is the default)
    let bytes = request.encode_to_vec();
    assert_eq!(
        hex(&bytes),
        "0a 02 08 01 12 01 2a 1a 05 08 c0 0d 10 01 20 03 28 01"
    );
    assert_eq!(
        ResourceRequestProto::decode(bytes.as_slice()).unwrap(),
        request
    );
}

#[test]
fn negative_int32_is_a_ten_byte_varint() {
    // int32 (not sint32): -104 sign-extends to 64 bits.
    let status = ContainerStatusProto {
        exit_status: Some(-104),
        ..Default::default()
    };
    assert_eq!(
        hex(&status.encode_to_vec()),
        "20 98 ff ff ff ff ff ff ff ff 01"
    );
}

#[test]
fn float_is_fixed32() {
    let request = AllocateRequestProto {
        response_id: Some(0),
        progress: Some(0.5),
        ..Default::default()
    };
    // 20 00: response_id 0 (set, so encoded); 2d = field 5 wire type 5 (32-bit), 0.5f LE
    assert_eq!(hex(&request.encode_to_vec()), "20 00 2d 00 00 00 3f");
}

#[test]
fn local_resource_bytes() {
    let resource = LocalResourceProto {
        resource: Some(URLProto {
            scheme: Some("hdfs".to_string()),
            host: Some("nn".to_string()),
            port: Some(-1),
            file: Some("/a".to_string()),
            user_info: None,
        }),
        size: Some(10),
        timestamp: Some(1_700_000_000_000),
        r#type: Some(LocalResourceTypeProto::File as i32),
        visibility: Some(LocalResourceVisibilityProto::Application as i32),
        pattern: None,
        should_be_uploaded_to_shared_cache: None,
    };
    // URL: 0a 04 "hdfs" 12 02 "nn" 18 (-1 as 10-byte varint) 22 02 "/a"
    let url = "0a 04 68 64 66 73 12 02 6e 6e 18 ff ff ff ff ff ff ff ff ff 01 22 02 2f 61";
    let expected = format!("0a 19 {url} 10 0a 18 80 d0 95 ff bc 31 20 02 28 03");
    assert_eq!(hex(&resource.encode_to_vec()), expected);
    assert_eq!(resource.r#type(), LocalResourceTypeProto::File);
    assert_eq!(
        resource.visibility(),
        LocalResourceVisibilityProto::Application
    );
}

#[test]
fn repeated_enums_are_written_unpacked_and_read_both_ways() {
    let request = GetApplicationsRequestProto {
        application_types: vec!["WEIR".to_string()],
        application_states: vec![
            YarnApplicationStateProto::Running as i32,
            YarnApplicationStateProto::Accepted as i32,
        ],
        ..Default::default()
    };
    // 0a 04 "WEIR"; 10 05; 10 04 (one tag per element, as Java's proto2 code writes them)
    assert_eq!(
        hex(&request.encode_to_vec()),
        "0a 04 57 45 49 52 10 05 10 04"
    );
    // The packed form (12 02 05 04) decodes to the same list.
    let packed = GetApplicationsRequestProto::decode(unhex("12 02 05 04").as_slice()).unwrap();
    assert_eq!(packed.application_states, vec![5, 4]);
    assert_eq!(
        packed.application_states().collect::<Vec<_>>(),
        vec![
            YarnApplicationStateProto::Running,
            YarnApplicationStateProto::Accepted
        ]
    );
}

#[test]
fn required_fields_are_always_encoded() {
    let entry = StringLongMapProto {
        key: String::new(),
        value: 0,
    };
    assert_eq!(hex(&entry.encode_to_vec()), "0a 00 10 00");
}

#[test]
fn uint32_and_sub_messages_of_node_report() {
    let report = NodeReportProto {
        decommissioning_timeout: Some(u32::MAX),
        node_state: Some(NodeStateProto::NsRunning as i32),
        ..Default::default()
    };
    // 38 02: node_state (field 7) = 2; 68 ff ff ff ff 0f: field 13 uint32 max (5 bytes)
    assert_eq!(hex(&report.encode_to_vec()), "38 02 68 ff ff ff ff 0f");
}

// ---- proto2 defaults ----

#[test]
fn absent_fields_report_the_java_defaults() {
    let status = ContainerStatusProto::default();
    assert_eq!(status.diagnostics(), "N/A");
    assert_eq!(status.exit_status(), -1000);
    assert_eq!(status.execution_type(), ExecutionTypeProto::Guaranteed);
    assert_eq!(status.state(), ContainerStateProto::CNew);

    let context = ApplicationSubmissionContextProto::default();
    assert_eq!(context.application_name(), "N/A");
    assert_eq!(context.queue(), "default");
    assert_eq!(context.application_type(), "YARN");
    assert!(context.cancel_tokens_when_complete());
    assert!(!context.unmanaged_am());
    assert_eq!(context.max_app_attempts(), 0);
    assert_eq!(context.attempt_failures_validity_interval(), -1);

    let request = ResourceRequestProto::default();
    assert!(request.relax_locality());
    assert_eq!(request.allocation_request_id(), -1);

    let container = ContainerProto::default();
    assert_eq!(container.allocation_request_id(), -1);

    let report = ApplicationReportProto::default();
    assert_eq!(report.diagnostics(), "N/A");
    assert_eq!(
        report.yarn_application_state(),
        YarnApplicationStateProto::New
    );
    assert_eq!(
        report.final_application_status(),
        FinalApplicationStatusProto::AppUndefined
    );

    assert_eq!(ApplicationACLMapProto::default().acl(), " ");
    assert_eq!(
        LogAggregationContextProto::default().include_pattern(),
        ".*"
    );
    assert_eq!(
        LogAggregationContextProto::default().rolled_logs_exclude_pattern(),
        ".*"
    );
    assert!(!KillApplicationResponseProto::default().is_kill_completed());
    assert!(!FinishApplicationMasterResponseProto::default().is_unregistered());
    assert_eq!(AMRMTokenIdentifierProto::default().key_id(), -1);
    assert_eq!(NMTokenIdentifierProto::default().key_id(), -1);
    assert_eq!(ContainerTokenIdentifierProto::default().master_key_id(), -1);
    assert_eq!(
        GetApplicationsRequestProto::default().scope(),
        ApplicationsRequestScopeProto::All
    );
    assert_eq!(
        ContainerRetryContextProto::default().failures_validity_interval(),
        -1
    );
}

#[test]
fn defaults_are_not_encoded_unless_set() {
    assert!(ContainerStatusProto::default().encode_to_vec().is_empty());
    assert!(
        ApplicationSubmissionContextProto::default()
            .encode_to_vec()
            .is_empty()
    );
    // An explicit value equal to the default is still written (proto2 presence).
    let status = ContainerStatusProto {
        exit_status: Some(-1000),
        ..Default::default()
    };
    assert!(!status.encode_to_vec().is_empty());
}

// ---- unknown fields and enum values ----

#[test]
fn unknown_fields_are_skipped() {
    // Known: id 7. Unknown: field 15 varint, field 40 length-delimited, field 41 fixed64,
    // field 42 fixed32. Known again: cluster_timestamp.
    let bytes = unhex(
        "08 07 78 05 c2 02 03 61 62 63 c9 02 01 02 03 04 05 06 07 08 d5 02 01 02 03 04 \
         10 80 d0 95 ff bc 31",
    );
    let decoded = ApplicationIdProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(decoded, app_id(7, 1_700_000_000_000));
}

#[test]
fn fields_of_newer_releases_are_skipped_in_nested_messages() {
    // 22 01 78: name "x" (field 4)
    // 72 05 [a0 01 05  08 03]: app_resource_Usage (field 14) holding an unknown field 20 = 5
    //                          and num_used_containers = 3
    // f2 01 02 68 69: an unknown length-delimited field 30 at the top level
    let bytes = unhex("22 01 78 72 05 a0 01 05 08 03 f2 01 02 68 69");
    let report = ApplicationReportProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(report.name(), "x");
    let usage = report.app_resource_usage.expect("nested message decoded");
    assert_eq!(usage.num_used_containers, Some(3));
}

#[test]
fn unknown_enum_numbers_are_kept_raw() {
    let bytes = unhex("40 2a"); // yarn_application_state = 42
    let report = ApplicationReportProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(report.yarn_application_state, Some(42));
    assert_eq!(
        report.yarn_application_state(),
        YarnApplicationStateProto::New
    );
    assert_eq!(report.encode_to_vec(), bytes);
}

#[test]
fn wrong_wire_type_is_an_error_not_a_panic() {
    // Field 1 of ApplicationIdProto sent as length-delimited instead of varint.
    assert!(ApplicationIdProto::decode(unhex("0a 01 07").as_slice()).is_err());
    // Truncated varint.
    assert!(ApplicationIdProto::decode(unhex("10 80 80").as_slice()).is_err());
    // Length past the end of the buffer.
    assert!(ContainerIdProto::decode(unhex("12 20 08 01").as_slice()).is_err());
}

// ---- round trips of the large messages ----

fn local_resource(file: &str) -> LocalResourceProto {
    LocalResourceProto {
        resource: Some(URLProto {
            scheme: Some("file".to_string()),
            host: None,
            port: Some(-1),
            file: Some(file.to_string()),
            user_info: None,
        }),
        size: Some(30 << 20),
        timestamp: Some(1_700_000_123_456),
        r#type: Some(LocalResourceTypeProto::File as i32),
        visibility: Some(LocalResourceVisibilityProto::Application as i32),
        pattern: None,
        should_be_uploaded_to_shared_cache: Some(false),
    }
}

fn launch_context() -> ContainerLaunchContextProto {
    ContainerLaunchContextProto {
        local_resources: vec![StringLocalResourceMapProto {
            key: Some("weir".to_string()),
            value: Some(local_resource("/tmp/weir")),
        }],
        tokens: Some(b"HDTS\x00\x00\x00".to_vec()),
        service_data: vec![StringBytesMapProto {
            key: Some("mapreduce_shuffle".to_string()),
            value: Some(vec![0, 1]),
        }],
        environment: vec![StringStringMapProto {
            key: Some("HADOOP_USER_NAME".to_string()),
            value: Some("alice".to_string()),
        }],
        command: vec!["./weir".to_string(), "yarn-am".to_string()],
        application_acls: vec![ApplicationACLMapProto {
            access_type: Some(ApplicationAccessTypeProto::AppaccessViewApp as i32),
            acl: Some("alice".to_string()),
        }],
        container_retry_context: Some(ContainerRetryContextProto {
            retry_policy: Some(ContainerRetryPolicyProto::RetryOnSpecificErrorCodes as i32),
            error_codes: vec![1, -2, 137],
            max_retries: Some(3),
            retry_interval: Some(1000),
            failures_validity_interval: Some(60_000),
        }),
        tokens_conf: None,
    }
}

fn resource(memory_mb: i64, vcores: i32) -> ResourceProto {
    ResourceProto {
        memory: Some(memory_mb),
        virtual_cores: Some(vcores),
        resource_value_map: vec![ResourceInformationProto {
            key: "yarn.io/gpu".to_string(),
            value: Some(0),
            units: Some(String::new()),
            r#type: Some(ResourceTypesProto::Countable as i32),
            tags: vec!["a".to_string()],
            attributes: vec![],
        }],
    }
}

#[test]
fn submission_context_round_trip() {
    let context = ApplicationSubmissionContextProto {
        application_id: Some(app_id(7, 1_700_000_000_000)),
        application_name: Some("Weir session cluster".to_string()),
        queue: Some("root.batch".to_string()),
        priority: Some(PriorityProto { priority: Some(-1) }),
        am_container_spec: Some(launch_context()),
        cancel_tokens_when_complete: Some(true),
        unmanaged_am: Some(false),
        max_app_attempts: Some(2),
        resource: Some(resource(1600, 1)),
        application_type: Some("Weir".to_string()),
        keep_containers_across_application_attempts: Some(true),
        application_tags: vec!["t1".to_string(), "t2".to_string()],
        attempt_failures_validity_interval: Some(10_000),
        log_aggregation_context: Some(LogAggregationContextProto {
            include_pattern: Some(".*\\.log".to_string()),
            ..Default::default()
        }),
        reservation_id: Some(ReservationIdProto {
            id: Some(1),
            cluster_timestamp: Some(2),
        }),
        node_label_expression: Some("gpu".to_string()),
        am_container_resource_request: vec![ResourceRequestProto {
            resource_name: Some("*".to_string()),
            num_containers: Some(1),
            ..Default::default()
        }],
        application_timeouts: vec![ApplicationTimeoutMapProto {
            application_timeout_type: Some(ApplicationTimeoutTypeProto::AppTimeoutLifetime as i32),
            timeout: Some(3600),
        }],
        application_scheduling_properties: vec![StringStringMapProto {
            key: Some("k".to_string()),
            value: Some("v".to_string()),
        }],
    };
    round_trip(&context);
    round_trip(&SubmitApplicationRequestProto {
        application_submission_context: Some(context),
    });
}

#[test]
fn application_report_round_trip() {
    let report = ApplicationReportProto {
        application_id: Some(app_id(7, 1_700_000_000_000)),
        user: Some("alice".to_string()),
        queue: Some("default".to_string()),
        name: Some("weir".to_string()),
        host: Some("node1".to_string()),
        rpc_port: Some(8081),
        client_to_am_token: Some(token("YARN_CLIENT_TOKEN")),
        yarn_application_state: Some(YarnApplicationStateProto::Running as i32),
        tracking_url: Some("http://rm:8088/proxy/application_1700000000000_0007/".to_string()),
        diagnostics: Some(String::new()),
        start_time: Some(1),
        finish_time: Some(0),
        final_application_status: Some(FinalApplicationStatusProto::AppUndefined as i32),
        app_resource_usage: Some(ApplicationResourceUsageReportProto {
            num_used_containers: Some(3),
            num_reserved_containers: Some(0),
            used_resources: Some(resource(4096, 3)),
            reserved_resources: None,
            needed_resources: Some(resource(4096, 3)),
            memory_seconds: Some(123),
            vcore_seconds: Some(45),
            queue_usage_percentage: Some(12.5),
            cluster_usage_percentage: Some(6.25),
            preempted_memory_seconds: Some(0),
            preempted_vcore_seconds: Some(0),
            application_resource_usage_map: vec![StringLongMapProto {
                key: "memory-mb".to_string(),
                value: 123,
            }],
            application_preempted_resource_usage_map: vec![],
        }),
        original_tracking_url: Some("http://node1:8081".to_string()),
        current_application_attempt_id: Some(ApplicationAttemptIdProto {
            application_id: Some(app_id(7, 1_700_000_000_000)),
            attempt_id: Some(1),
        }),
        progress: Some(0.25),
        application_type: Some("Weir".to_string()),
        am_rm_token: Some(token("YARN_AM_RM_TOKEN")),
        application_tags: vec!["x".to_string()],
        log_aggregation_status: Some(LogAggregationStatusProto::LogNotStart as i32),
        unmanaged_application: Some(false),
        priority: Some(PriorityProto { priority: Some(0) }),
        app_node_label_expression: Some(String::new()),
        am_node_label_expression: Some("<DEFAULT_PARTITION>".to_string()),
        app_timeouts: vec![AppTimeoutsMapProto {
            application_timeout_type: Some(ApplicationTimeoutTypeProto::AppTimeoutLifetime as i32),
            application_timeout: Some(ApplicationTimeoutProto {
                application_timeout_type: ApplicationTimeoutTypeProto::AppTimeoutLifetime as i32,
                expire_time: Some("UNLIMITED".to_string()),
                remaining_time: Some(-1),
            }),
        }],
        launch_time: Some(2),
        submit_time: Some(3),
        rm_cluster_id: Some("yarn-cluster".to_string()),
    };
    round_trip(&report);
    round_trip(&GetApplicationsResponseProto {
        applications: vec![report.clone(), report.clone()],
    });
    round_trip(&GetApplicationReportResponseProto {
        application_report: Some(report),
    });
}

#[test]
fn allocate_round_trip() {
    let container = ContainerProto {
        id: Some(container_id(2)),
        node_id: Some(NodeIdProto {
            host: Some("node1".to_string()),
            port: Some(45454),
        }),
        node_http_address: Some("node1:8042".to_string()),
        resource: Some(resource(2048, 1)),
        priority: Some(PriorityProto { priority: Some(1) }),
        container_token: Some(token("ContainerToken")),
        execution_type: Some(ExecutionTypeProto::Guaranteed as i32),
        allocation_request_id: Some(-1),
        version: Some(0),
        allocation_tags: vec!["tm".to_string()],
        exposed_ports: None,
    };
    let status = ContainerStatusProto {
        container_id: Some(container_id(3)),
        state: Some(ContainerStateProto::CComplete as i32),
        diagnostics: Some("Container released by application".to_string()),
        exit_status: Some(-100),
        capability: Some(resource(2048, 1)),
        execution_type: None,
        container_attributes: vec![],
        container_sub_state: Some(ContainerSubStateProto::CssDone as i32),
    };
    round_trip(&AllocateRequestProto {
        ask: vec![ResourceRequestProto {
            priority: Some(PriorityProto { priority: Some(1) }),
            resource_name: Some("*".to_string()),
            capability: Some(resource(2048, 1)),
            num_containers: Some(2),
            relax_locality: Some(true),
            node_label_expression: None,
            execution_type_request: Some(ExecutionTypeRequestProto {
                execution_type: Some(ExecutionTypeProto::Guaranteed as i32),
                enforce_execution_type: Some(false),
            }),
            allocation_request_id: None,
        }],
        release: vec![container_id(9)],
        blacklist_request: Some(ResourceBlacklistRequestProto {
            blacklist_additions: vec!["bad".to_string()],
            blacklist_removals: vec![],
        }),
        response_id: Some(41),
        progress: Some(0.0),
        update_requests: vec![UpdateContainerRequestProto {
            container_version: 0,
            container_id: container_id(2),
            update_type: ContainerUpdateTypeProto::IncreaseResource as i32,
            capability: Some(resource(4096, 1)),
            execution_type: None,
        }],
        tracking_url: None,
    });
    round_trip(&AllocateResponseProto {
        a_m_command: Some(AMCommandProto::AmResync as i32),
        response_id: Some(42),
        allocated_containers: vec![container.clone()],
        completed_container_statuses: vec![status.clone()],
        limit: Some(resource(8192, 8)),
        updated_nodes: vec![NodeReportProto {
            node_id: container.node_id.clone(),
            http_address: Some("node1:8042".to_string()),
            rack_name: Some("/default-rack".to_string()),
            used: Some(resource(2048, 1)),
            capability: Some(resource(8192, 8)),
            num_containers: Some(1),
            node_state: Some(NodeStateProto::NsRunning as i32),
            health_report: Some(String::new()),
            last_health_report_time: Some(5),
            node_labels: vec![],
            containers_utilization: Some(ResourceUtilizationProto {
                pmem: Some(100),
                vmem: Some(200),
                cpu: Some(0.5),
            }),
            node_utilization: None,
            decommissioning_timeout: Some(60),
            node_update_type: Some(NodeUpdateTypeProto::NodeUsable as i32),
        }],
        num_cluster_nodes: Some(3),
        preempt: Some(PreemptionMessageProto {
            strict_contract: Some(StrictPreemptionContractProto {
                container: vec![PreemptionContainerProto {
                    id: Some(container_id(4)),
                }],
            }),
            contract: Some(PreemptionContractProto {
                resource: vec![PreemptionResourceRequestProto {
                    resource: Some(ResourceRequestProto::default()),
                }],
                container: vec![],
            }),
        }),
        nm_tokens: vec![NMTokenProto {
            node_id: container.node_id.clone(),
            token: Some(token("NMToken")),
        }],
        am_rm_token: Some(token("YARN_AM_RM_TOKEN")),
        application_priority: Some(PriorityProto { priority: Some(0) }),
        collector_info: Some(CollectorInfoProto {
            collector_addr: Some("node1:1234".to_string()),
            collector_token: None,
        }),
        update_errors: vec![UpdateContainerErrorProto {
            reason: Some("INCORRECT_CONTAINER_VERSION_ERROR".to_string()),
            update_request: None,
            current_container_version: Some(1),
        }],
        updated_containers: vec![UpdatedContainerProto {
            update_type: ContainerUpdateTypeProto::DecreaseResource as i32,
            container: container.clone(),
        }],
        containers_from_previous_attempts: vec![container.clone()],
        enhanced_headroom: Some(EnhancedHeadroomProto {
            total_pending_count: Some(1),
            total_active_cores: Some(2),
        }),
    });
    round_trip(&RegisterApplicationMasterResponseProto {
        maximum_capability: Some(resource(8192, 8)),
        client_to_am_token_master_key: Some(vec![7; 16]),
        application_acls: vec![],
        containers_from_previous_attempts: vec![container],
        queue: Some("default".to_string()),
        nm_tokens_from_previous_attempts: vec![],
        scheduler_resource_types: vec![SchedulerResourceTypes::Memory as i32],
        resource_types: vec![ResourceTypeInfoProto {
            name: "memory-mb".to_string(),
            units: Some("Mi".to_string()),
            r#type: Some(ResourceTypesProto::Countable as i32),
        }],
    });
    round_trip(&FinishApplicationMasterRequestProto {
        diagnostics: Some("done".to_string()),
        tracking_url: Some(String::new()),
        final_application_status: Some(FinalApplicationStatusProto::AppSucceeded as i32),
    });
}

#[test]
fn scheduler_resource_types_zero_is_written() {
    // MEMORY = 0 inside a repeated enum must still produce an element on the wire.
    let response = RegisterApplicationMasterResponseProto {
        scheduler_resource_types: vec![0, 1],
        ..Default::default()
    };
    assert_eq!(hex(&response.encode_to_vec()), "38 00 38 01");
}

#[test]
fn container_management_round_trip() {
    round_trip(&StartContainersRequestProto {
        start_container_request: vec![StartContainerRequestProto {
            container_launch_context: Some(launch_context()),
            container_token: Some(token("ContainerToken")),
        }],
    });
    let failure = ContainerExceptionMapProto {
        container_id: Some(container_id(5)),
        exception: Some(SerializedExceptionProto {
            message: Some(
                "NMToken for application attempt was used for a different attempt".to_string(),
            ),
            trace: Some("at ...".to_string()),
            class_name: Some("org.apache.hadoop.yarn.exceptions.YarnException".to_string()),
            cause: Some(Box::new(SerializedExceptionProto {
                message: Some("inner".to_string()),
                ..Default::default()
            })),
        }),
    };
    round_trip(&StartContainersResponseProto {
        services_meta_data: vec![],
        succeeded_requests: vec![container_id(4)],
        failed_requests: vec![failure.clone()],
    });
    round_trip(&StopContainersResponseProto {
        succeeded_requests: vec![container_id(4)],
        failed_requests: vec![failure.clone()],
    });
    round_trip(&GetContainerStatusesResponseProto {
        status: vec![ContainerStatusProto {
            container_id: Some(container_id(4)),
            state: Some(ContainerStateProto::CRunning as i32),
            ..Default::default()
        }],
        failed_requests: vec![failure],
    });
}

#[test]
fn client_protocol_round_trips() {
    round_trip(&GetNewApplicationResponseProto {
        application_id: Some(app_id(1, 2)),
        maximum_capability: Some(resource(8192, 4)),
    });
    round_trip(&KillApplicationRequestProto {
        application_id: Some(app_id(1, 2)),
        diagnostics: Some("killed by weir".to_string()),
    });
    round_trip(&GetClusterMetricsResponseProto {
        cluster_metrics: Some(YarnClusterMetricsProto {
            num_node_managers: Some(3),
            num_decommissioned_nms: Some(0),
            num_active_nms: Some(3),
            num_lost_nms: Some(0),
            num_unhealthy_nms: Some(0),
            num_rebooted_nms: Some(0),
            num_decommissioning_nms: Some(0),
            num_shutdown_nms: Some(0),
        }),
    });
    round_trip(&GetClusterNodesRequestProto {
        node_states: vec![
            NodeStateProto::NsRunning as i32,
            NodeStateProto::NsNew as i32,
        ],
    });
    round_trip(&GetQueueInfoResponseProto {
        queue_info: Some(QueueInfoProto {
            queue_name: Some("root".to_string()),
            capacity: Some(1.0),
            state: Some(QueueStateProto::QRunning as i32),
            child_queues: vec![QueueInfoProto {
                queue_name: Some("default".to_string()),
                ..Default::default()
            }],
            queue_statistics: Some(QueueStatisticsProto {
                num_apps_running: Some(1),
                ..Default::default()
            }),
            ..Default::default()
        }),
    });
    round_trip(&SignalContainerRequestProto {
        container_id: container_id(1),
        command: SignalContainerCommandProto::GracefulShutdown as i32,
    });
    round_trip(&MoveApplicationAcrossQueuesRequestProto {
        application_id: app_id(1, 2),
        target_queue: "other".to_string(),
    });
    // Empty messages encode to nothing and decode from nothing.
    assert!(GetNewApplicationRequestProto {}.encode_to_vec().is_empty());
    assert!(SubmitApplicationResponseProto::decode(&[][..]).is_ok());
}

#[test]
fn token_identifiers_round_trip() {
    let attempt = ApplicationAttemptIdProto {
        application_id: Some(app_id(7, 1_700_000_000_000)),
        attempt_id: Some(1),
    };
    let amrm = AMRMTokenIdentifierProto {
        app_attempt_id: Some(attempt.clone()),
        key_id: Some(12345),
    };
    // 0a 0d {attempt} 10 b9 60
    assert_eq!(
        hex(&amrm.encode_to_vec()),
        "0a 0d 0a 09 08 07 10 80 d0 95 ff bc 31 10 01 10 b9 60"
    );
    round_trip(&amrm);
    round_trip(&NMTokenIdentifierProto {
        app_attempt_id: Some(attempt.clone()),
        node_id: Some(NodeIdProto {
            host: Some("node1".to_string()),
            port: Some(45454),
        }),
        app_submitter: Some("alice".to_string()),
        key_id: Some(-7),
    });
    round_trip(&ContainerTokenIdentifierProto {
        container_id: Some(container_id(1)),
        nm_host_addr: Some("node1:45454".to_string()),
        app_submitter: Some("alice".to_string()),
        resource: Some(resource(1024, 1)),
        expiry_time_stamp: Some(1_700_000_600_000),
        master_key_id: Some(3),
        rm_identifier: Some(1_700_000_000_000),
        priority: Some(PriorityProto { priority: Some(0) }),
        creation_time: Some(1_700_000_000_500),
        log_aggregation_context: None,
        node_label_expression: Some(String::new()),
        container_type: Some(ContainerTypeProto::ApplicationMaster as i32),
        execution_type: Some(ExecutionTypeProto::Guaranteed as i32),
        version: Some(0),
        allocation_request_id: Some(-1),
        allocation_tags: vec![],
    });
    round_trip(&ClientToAMTokenIdentifierProto {
        app_attempt_id: Some(attempt),
        client_name: Some("alice".to_string()),
    });
}

-- Back to 0008's layout (151 latency_bNNN columns), rebuilt from the deduplicated raw rows the same way 0008 did.

DROP VIEW IF EXISTS llm_usage_hourly_mv;
DROP VIEW IF EXISTS llm_usage_daily_mv;
DROP VIEW IF EXISTS llm_usage_daily_customer_mv;
DROP TABLE IF EXISTS llm_usage_hourly;
DROP TABLE IF EXISTS llm_usage_daily;
DROP TABLE IF EXISTS llm_usage_daily_customer;

CREATE TABLE IF NOT EXISTS llm_usage_hourly
(
    hour DateTime('UTC'),
    feature LowCardinality(String),
    customer String,
    model LowCardinality(String),
    provider LowCardinality(String),
    env LowCardinality(String),
    currency LowCardinality(String),
    requests SimpleAggregateFunction(sum, Int64),
    error_requests SimpleAggregateFunction(sum, Int64),
    input_tokens SimpleAggregateFunction(sum, Int64),
    cached_input_tokens SimpleAggregateFunction(sum, Int64),
    cache_write_tokens SimpleAggregateFunction(sum, Int64),
    output_tokens SimpleAggregateFunction(sum, Int64),
    reasoning_tokens SimpleAggregateFunction(sum, Int64),
    audio_input_tokens SimpleAggregateFunction(sum, Int64),
    audio_output_tokens SimpleAggregateFunction(sum, Int64),
    image_tokens SimpleAggregateFunction(sum, Int64),
    estimated_cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    provider_cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    latency_b000 SimpleAggregateFunction(sum, UInt64), latency_b001 SimpleAggregateFunction(sum, UInt64), latency_b002 SimpleAggregateFunction(sum, UInt64), latency_b003 SimpleAggregateFunction(sum, UInt64),
    latency_b004 SimpleAggregateFunction(sum, UInt64), latency_b005 SimpleAggregateFunction(sum, UInt64), latency_b006 SimpleAggregateFunction(sum, UInt64), latency_b007 SimpleAggregateFunction(sum, UInt64),
    latency_b008 SimpleAggregateFunction(sum, UInt64), latency_b009 SimpleAggregateFunction(sum, UInt64), latency_b010 SimpleAggregateFunction(sum, UInt64), latency_b011 SimpleAggregateFunction(sum, UInt64),
    latency_b012 SimpleAggregateFunction(sum, UInt64), latency_b013 SimpleAggregateFunction(sum, UInt64), latency_b014 SimpleAggregateFunction(sum, UInt64), latency_b015 SimpleAggregateFunction(sum, UInt64),
    latency_b016 SimpleAggregateFunction(sum, UInt64), latency_b017 SimpleAggregateFunction(sum, UInt64), latency_b018 SimpleAggregateFunction(sum, UInt64), latency_b019 SimpleAggregateFunction(sum, UInt64),
    latency_b020 SimpleAggregateFunction(sum, UInt64), latency_b021 SimpleAggregateFunction(sum, UInt64), latency_b022 SimpleAggregateFunction(sum, UInt64), latency_b023 SimpleAggregateFunction(sum, UInt64),
    latency_b024 SimpleAggregateFunction(sum, UInt64), latency_b025 SimpleAggregateFunction(sum, UInt64), latency_b026 SimpleAggregateFunction(sum, UInt64), latency_b027 SimpleAggregateFunction(sum, UInt64),
    latency_b028 SimpleAggregateFunction(sum, UInt64), latency_b029 SimpleAggregateFunction(sum, UInt64), latency_b030 SimpleAggregateFunction(sum, UInt64), latency_b031 SimpleAggregateFunction(sum, UInt64),
    latency_b032 SimpleAggregateFunction(sum, UInt64), latency_b033 SimpleAggregateFunction(sum, UInt64), latency_b034 SimpleAggregateFunction(sum, UInt64), latency_b035 SimpleAggregateFunction(sum, UInt64),
    latency_b036 SimpleAggregateFunction(sum, UInt64), latency_b037 SimpleAggregateFunction(sum, UInt64), latency_b038 SimpleAggregateFunction(sum, UInt64), latency_b039 SimpleAggregateFunction(sum, UInt64),
    latency_b040 SimpleAggregateFunction(sum, UInt64), latency_b041 SimpleAggregateFunction(sum, UInt64), latency_b042 SimpleAggregateFunction(sum, UInt64), latency_b043 SimpleAggregateFunction(sum, UInt64),
    latency_b044 SimpleAggregateFunction(sum, UInt64), latency_b045 SimpleAggregateFunction(sum, UInt64), latency_b046 SimpleAggregateFunction(sum, UInt64), latency_b047 SimpleAggregateFunction(sum, UInt64),
    latency_b048 SimpleAggregateFunction(sum, UInt64), latency_b049 SimpleAggregateFunction(sum, UInt64), latency_b050 SimpleAggregateFunction(sum, UInt64), latency_b051 SimpleAggregateFunction(sum, UInt64),
    latency_b052 SimpleAggregateFunction(sum, UInt64), latency_b053 SimpleAggregateFunction(sum, UInt64), latency_b054 SimpleAggregateFunction(sum, UInt64), latency_b055 SimpleAggregateFunction(sum, UInt64),
    latency_b056 SimpleAggregateFunction(sum, UInt64), latency_b057 SimpleAggregateFunction(sum, UInt64), latency_b058 SimpleAggregateFunction(sum, UInt64), latency_b059 SimpleAggregateFunction(sum, UInt64),
    latency_b060 SimpleAggregateFunction(sum, UInt64), latency_b061 SimpleAggregateFunction(sum, UInt64), latency_b062 SimpleAggregateFunction(sum, UInt64), latency_b063 SimpleAggregateFunction(sum, UInt64),
    latency_b064 SimpleAggregateFunction(sum, UInt64), latency_b065 SimpleAggregateFunction(sum, UInt64), latency_b066 SimpleAggregateFunction(sum, UInt64), latency_b067 SimpleAggregateFunction(sum, UInt64),
    latency_b068 SimpleAggregateFunction(sum, UInt64), latency_b069 SimpleAggregateFunction(sum, UInt64), latency_b070 SimpleAggregateFunction(sum, UInt64), latency_b071 SimpleAggregateFunction(sum, UInt64),
    latency_b072 SimpleAggregateFunction(sum, UInt64), latency_b073 SimpleAggregateFunction(sum, UInt64), latency_b074 SimpleAggregateFunction(sum, UInt64), latency_b075 SimpleAggregateFunction(sum, UInt64),
    latency_b076 SimpleAggregateFunction(sum, UInt64), latency_b077 SimpleAggregateFunction(sum, UInt64), latency_b078 SimpleAggregateFunction(sum, UInt64), latency_b079 SimpleAggregateFunction(sum, UInt64),
    latency_b080 SimpleAggregateFunction(sum, UInt64), latency_b081 SimpleAggregateFunction(sum, UInt64), latency_b082 SimpleAggregateFunction(sum, UInt64), latency_b083 SimpleAggregateFunction(sum, UInt64),
    latency_b084 SimpleAggregateFunction(sum, UInt64), latency_b085 SimpleAggregateFunction(sum, UInt64), latency_b086 SimpleAggregateFunction(sum, UInt64), latency_b087 SimpleAggregateFunction(sum, UInt64),
    latency_b088 SimpleAggregateFunction(sum, UInt64), latency_b089 SimpleAggregateFunction(sum, UInt64), latency_b090 SimpleAggregateFunction(sum, UInt64), latency_b091 SimpleAggregateFunction(sum, UInt64),
    latency_b092 SimpleAggregateFunction(sum, UInt64), latency_b093 SimpleAggregateFunction(sum, UInt64), latency_b094 SimpleAggregateFunction(sum, UInt64), latency_b095 SimpleAggregateFunction(sum, UInt64),
    latency_b096 SimpleAggregateFunction(sum, UInt64), latency_b097 SimpleAggregateFunction(sum, UInt64), latency_b098 SimpleAggregateFunction(sum, UInt64), latency_b099 SimpleAggregateFunction(sum, UInt64),
    latency_b100 SimpleAggregateFunction(sum, UInt64), latency_b101 SimpleAggregateFunction(sum, UInt64), latency_b102 SimpleAggregateFunction(sum, UInt64), latency_b103 SimpleAggregateFunction(sum, UInt64),
    latency_b104 SimpleAggregateFunction(sum, UInt64), latency_b105 SimpleAggregateFunction(sum, UInt64), latency_b106 SimpleAggregateFunction(sum, UInt64), latency_b107 SimpleAggregateFunction(sum, UInt64),
    latency_b108 SimpleAggregateFunction(sum, UInt64), latency_b109 SimpleAggregateFunction(sum, UInt64), latency_b110 SimpleAggregateFunction(sum, UInt64), latency_b111 SimpleAggregateFunction(sum, UInt64),
    latency_b112 SimpleAggregateFunction(sum, UInt64), latency_b113 SimpleAggregateFunction(sum, UInt64), latency_b114 SimpleAggregateFunction(sum, UInt64), latency_b115 SimpleAggregateFunction(sum, UInt64),
    latency_b116 SimpleAggregateFunction(sum, UInt64), latency_b117 SimpleAggregateFunction(sum, UInt64), latency_b118 SimpleAggregateFunction(sum, UInt64), latency_b119 SimpleAggregateFunction(sum, UInt64),
    latency_b120 SimpleAggregateFunction(sum, UInt64), latency_b121 SimpleAggregateFunction(sum, UInt64), latency_b122 SimpleAggregateFunction(sum, UInt64), latency_b123 SimpleAggregateFunction(sum, UInt64),
    latency_b124 SimpleAggregateFunction(sum, UInt64), latency_b125 SimpleAggregateFunction(sum, UInt64), latency_b126 SimpleAggregateFunction(sum, UInt64), latency_b127 SimpleAggregateFunction(sum, UInt64),
    latency_b128 SimpleAggregateFunction(sum, UInt64), latency_b129 SimpleAggregateFunction(sum, UInt64), latency_b130 SimpleAggregateFunction(sum, UInt64), latency_b131 SimpleAggregateFunction(sum, UInt64),
    latency_b132 SimpleAggregateFunction(sum, UInt64), latency_b133 SimpleAggregateFunction(sum, UInt64), latency_b134 SimpleAggregateFunction(sum, UInt64), latency_b135 SimpleAggregateFunction(sum, UInt64),
    latency_b136 SimpleAggregateFunction(sum, UInt64), latency_b137 SimpleAggregateFunction(sum, UInt64), latency_b138 SimpleAggregateFunction(sum, UInt64), latency_b139 SimpleAggregateFunction(sum, UInt64),
    latency_b140 SimpleAggregateFunction(sum, UInt64), latency_b141 SimpleAggregateFunction(sum, UInt64), latency_b142 SimpleAggregateFunction(sum, UInt64), latency_b143 SimpleAggregateFunction(sum, UInt64),
    latency_b144 SimpleAggregateFunction(sum, UInt64), latency_b145 SimpleAggregateFunction(sum, UInt64), latency_b146 SimpleAggregateFunction(sum, UInt64), latency_b147 SimpleAggregateFunction(sum, UInt64),
    latency_b148 SimpleAggregateFunction(sum, UInt64), latency_b149 SimpleAggregateFunction(sum, UInt64), latency_b150 SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, feature, customer, model, provider, env, currency);

CREATE TABLE IF NOT EXISTS llm_usage_daily_customer
(
    day Date,
    customer String,
    currency LowCardinality(String),
    requests SimpleAggregateFunction(sum, Int64),
    error_requests SimpleAggregateFunction(sum, Int64),
    input_tokens SimpleAggregateFunction(sum, Int64),
    cached_input_tokens SimpleAggregateFunction(sum, Int64),
    cache_write_tokens SimpleAggregateFunction(sum, Int64),
    output_tokens SimpleAggregateFunction(sum, Int64),
    reasoning_tokens SimpleAggregateFunction(sum, Int64),
    audio_input_tokens SimpleAggregateFunction(sum, Int64),
    audio_output_tokens SimpleAggregateFunction(sum, Int64),
    image_tokens SimpleAggregateFunction(sum, Int64),
    estimated_cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    provider_cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    latency_b000 SimpleAggregateFunction(sum, UInt64), latency_b001 SimpleAggregateFunction(sum, UInt64), latency_b002 SimpleAggregateFunction(sum, UInt64), latency_b003 SimpleAggregateFunction(sum, UInt64),
    latency_b004 SimpleAggregateFunction(sum, UInt64), latency_b005 SimpleAggregateFunction(sum, UInt64), latency_b006 SimpleAggregateFunction(sum, UInt64), latency_b007 SimpleAggregateFunction(sum, UInt64),
    latency_b008 SimpleAggregateFunction(sum, UInt64), latency_b009 SimpleAggregateFunction(sum, UInt64), latency_b010 SimpleAggregateFunction(sum, UInt64), latency_b011 SimpleAggregateFunction(sum, UInt64),
    latency_b012 SimpleAggregateFunction(sum, UInt64), latency_b013 SimpleAggregateFunction(sum, UInt64), latency_b014 SimpleAggregateFunction(sum, UInt64), latency_b015 SimpleAggregateFunction(sum, UInt64),
    latency_b016 SimpleAggregateFunction(sum, UInt64), latency_b017 SimpleAggregateFunction(sum, UInt64), latency_b018 SimpleAggregateFunction(sum, UInt64), latency_b019 SimpleAggregateFunction(sum, UInt64),
    latency_b020 SimpleAggregateFunction(sum, UInt64), latency_b021 SimpleAggregateFunction(sum, UInt64), latency_b022 SimpleAggregateFunction(sum, UInt64), latency_b023 SimpleAggregateFunction(sum, UInt64),
    latency_b024 SimpleAggregateFunction(sum, UInt64), latency_b025 SimpleAggregateFunction(sum, UInt64), latency_b026 SimpleAggregateFunction(sum, UInt64), latency_b027 SimpleAggregateFunction(sum, UInt64),
    latency_b028 SimpleAggregateFunction(sum, UInt64), latency_b029 SimpleAggregateFunction(sum, UInt64), latency_b030 SimpleAggregateFunction(sum, UInt64), latency_b031 SimpleAggregateFunction(sum, UInt64),
    latency_b032 SimpleAggregateFunction(sum, UInt64), latency_b033 SimpleAggregateFunction(sum, UInt64), latency_b034 SimpleAggregateFunction(sum, UInt64), latency_b035 SimpleAggregateFunction(sum, UInt64),
    latency_b036 SimpleAggregateFunction(sum, UInt64), latency_b037 SimpleAggregateFunction(sum, UInt64), latency_b038 SimpleAggregateFunction(sum, UInt64), latency_b039 SimpleAggregateFunction(sum, UInt64),
    latency_b040 SimpleAggregateFunction(sum, UInt64), latency_b041 SimpleAggregateFunction(sum, UInt64), latency_b042 SimpleAggregateFunction(sum, UInt64), latency_b043 SimpleAggregateFunction(sum, UInt64),
    latency_b044 SimpleAggregateFunction(sum, UInt64), latency_b045 SimpleAggregateFunction(sum, UInt64), latency_b046 SimpleAggregateFunction(sum, UInt64), latency_b047 SimpleAggregateFunction(sum, UInt64),
    latency_b048 SimpleAggregateFunction(sum, UInt64), latency_b049 SimpleAggregateFunction(sum, UInt64), latency_b050 SimpleAggregateFunction(sum, UInt64), latency_b051 SimpleAggregateFunction(sum, UInt64),
    latency_b052 SimpleAggregateFunction(sum, UInt64), latency_b053 SimpleAggregateFunction(sum, UInt64), latency_b054 SimpleAggregateFunction(sum, UInt64), latency_b055 SimpleAggregateFunction(sum, UInt64),
    latency_b056 SimpleAggregateFunction(sum, UInt64), latency_b057 SimpleAggregateFunction(sum, UInt64), latency_b058 SimpleAggregateFunction(sum, UInt64), latency_b059 SimpleAggregateFunction(sum, UInt64),
    latency_b060 SimpleAggregateFunction(sum, UInt64), latency_b061 SimpleAggregateFunction(sum, UInt64), latency_b062 SimpleAggregateFunction(sum, UInt64), latency_b063 SimpleAggregateFunction(sum, UInt64),
    latency_b064 SimpleAggregateFunction(sum, UInt64), latency_b065 SimpleAggregateFunction(sum, UInt64), latency_b066 SimpleAggregateFunction(sum, UInt64), latency_b067 SimpleAggregateFunction(sum, UInt64),
    latency_b068 SimpleAggregateFunction(sum, UInt64), latency_b069 SimpleAggregateFunction(sum, UInt64), latency_b070 SimpleAggregateFunction(sum, UInt64), latency_b071 SimpleAggregateFunction(sum, UInt64),
    latency_b072 SimpleAggregateFunction(sum, UInt64), latency_b073 SimpleAggregateFunction(sum, UInt64), latency_b074 SimpleAggregateFunction(sum, UInt64), latency_b075 SimpleAggregateFunction(sum, UInt64),
    latency_b076 SimpleAggregateFunction(sum, UInt64), latency_b077 SimpleAggregateFunction(sum, UInt64), latency_b078 SimpleAggregateFunction(sum, UInt64), latency_b079 SimpleAggregateFunction(sum, UInt64),
    latency_b080 SimpleAggregateFunction(sum, UInt64), latency_b081 SimpleAggregateFunction(sum, UInt64), latency_b082 SimpleAggregateFunction(sum, UInt64), latency_b083 SimpleAggregateFunction(sum, UInt64),
    latency_b084 SimpleAggregateFunction(sum, UInt64), latency_b085 SimpleAggregateFunction(sum, UInt64), latency_b086 SimpleAggregateFunction(sum, UInt64), latency_b087 SimpleAggregateFunction(sum, UInt64),
    latency_b088 SimpleAggregateFunction(sum, UInt64), latency_b089 SimpleAggregateFunction(sum, UInt64), latency_b090 SimpleAggregateFunction(sum, UInt64), latency_b091 SimpleAggregateFunction(sum, UInt64),
    latency_b092 SimpleAggregateFunction(sum, UInt64), latency_b093 SimpleAggregateFunction(sum, UInt64), latency_b094 SimpleAggregateFunction(sum, UInt64), latency_b095 SimpleAggregateFunction(sum, UInt64),
    latency_b096 SimpleAggregateFunction(sum, UInt64), latency_b097 SimpleAggregateFunction(sum, UInt64), latency_b098 SimpleAggregateFunction(sum, UInt64), latency_b099 SimpleAggregateFunction(sum, UInt64),
    latency_b100 SimpleAggregateFunction(sum, UInt64), latency_b101 SimpleAggregateFunction(sum, UInt64), latency_b102 SimpleAggregateFunction(sum, UInt64), latency_b103 SimpleAggregateFunction(sum, UInt64),
    latency_b104 SimpleAggregateFunction(sum, UInt64), latency_b105 SimpleAggregateFunction(sum, UInt64), latency_b106 SimpleAggregateFunction(sum, UInt64), latency_b107 SimpleAggregateFunction(sum, UInt64),
    latency_b108 SimpleAggregateFunction(sum, UInt64), latency_b109 SimpleAggregateFunction(sum, UInt64), latency_b110 SimpleAggregateFunction(sum, UInt64), latency_b111 SimpleAggregateFunction(sum, UInt64),
    latency_b112 SimpleAggregateFunction(sum, UInt64), latency_b113 SimpleAggregateFunction(sum, UInt64), latency_b114 SimpleAggregateFunction(sum, UInt64), latency_b115 SimpleAggregateFunction(sum, UInt64),
    latency_b116 SimpleAggregateFunction(sum, UInt64), latency_b117 SimpleAggregateFunction(sum, UInt64), latency_b118 SimpleAggregateFunction(sum, UInt64), latency_b119 SimpleAggregateFunction(sum, UInt64),
    latency_b120 SimpleAggregateFunction(sum, UInt64), latency_b121 SimpleAggregateFunction(sum, UInt64), latency_b122 SimpleAggregateFunction(sum, UInt64), latency_b123 SimpleAggregateFunction(sum, UInt64),
    latency_b124 SimpleAggregateFunction(sum, UInt64), latency_b125 SimpleAggregateFunction(sum, UInt64), latency_b126 SimpleAggregateFunction(sum, UInt64), latency_b127 SimpleAggregateFunction(sum, UInt64),
    latency_b128 SimpleAggregateFunction(sum, UInt64), latency_b129 SimpleAggregateFunction(sum, UInt64), latency_b130 SimpleAggregateFunction(sum, UInt64), latency_b131 SimpleAggregateFunction(sum, UInt64),
    latency_b132 SimpleAggregateFunction(sum, UInt64), latency_b133 SimpleAggregateFunction(sum, UInt64), latency_b134 SimpleAggregateFunction(sum, UInt64), latency_b135 SimpleAggregateFunction(sum, UInt64),
    latency_b136 SimpleAggregateFunction(sum, UInt64), latency_b137 SimpleAggregateFunction(sum, UInt64), latency_b138 SimpleAggregateFunction(sum, UInt64), latency_b139 SimpleAggregateFunction(sum, UInt64),
    latency_b140 SimpleAggregateFunction(sum, UInt64), latency_b141 SimpleAggregateFunction(sum, UInt64), latency_b142 SimpleAggregateFunction(sum, UInt64), latency_b143 SimpleAggregateFunction(sum, UInt64),
    latency_b144 SimpleAggregateFunction(sum, UInt64), latency_b145 SimpleAggregateFunction(sum, UInt64), latency_b146 SimpleAggregateFunction(sum, UInt64), latency_b147 SimpleAggregateFunction(sum, UInt64),
    latency_b148 SimpleAggregateFunction(sum, UInt64), latency_b149 SimpleAggregateFunction(sum, UInt64), latency_b150 SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, customer, currency);

CREATE TABLE IF NOT EXISTS llm_usage_daily
(
    day Date,
    feature LowCardinality(String),
    customer String,
    model LowCardinality(String),
    provider LowCardinality(String),
    env LowCardinality(String),
    currency LowCardinality(String),
    requests SimpleAggregateFunction(sum, Int64),
    error_requests SimpleAggregateFunction(sum, Int64),
    input_tokens SimpleAggregateFunction(sum, Int64),
    cached_input_tokens SimpleAggregateFunction(sum, Int64),
    cache_write_tokens SimpleAggregateFunction(sum, Int64),
    output_tokens SimpleAggregateFunction(sum, Int64),
    reasoning_tokens SimpleAggregateFunction(sum, Int64),
    audio_input_tokens SimpleAggregateFunction(sum, Int64),
    audio_output_tokens SimpleAggregateFunction(sum, Int64),
    image_tokens SimpleAggregateFunction(sum, Int64),
    estimated_cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    provider_cost SimpleAggregateFunction(sum, Decimal(38, 12)),
    latency_b000 SimpleAggregateFunction(sum, UInt64), latency_b001 SimpleAggregateFunction(sum, UInt64), latency_b002 SimpleAggregateFunction(sum, UInt64), latency_b003 SimpleAggregateFunction(sum, UInt64),
    latency_b004 SimpleAggregateFunction(sum, UInt64), latency_b005 SimpleAggregateFunction(sum, UInt64), latency_b006 SimpleAggregateFunction(sum, UInt64), latency_b007 SimpleAggregateFunction(sum, UInt64),
    latency_b008 SimpleAggregateFunction(sum, UInt64), latency_b009 SimpleAggregateFunction(sum, UInt64), latency_b010 SimpleAggregateFunction(sum, UInt64), latency_b011 SimpleAggregateFunction(sum, UInt64),
    latency_b012 SimpleAggregateFunction(sum, UInt64), latency_b013 SimpleAggregateFunction(sum, UInt64), latency_b014 SimpleAggregateFunction(sum, UInt64), latency_b015 SimpleAggregateFunction(sum, UInt64),
    latency_b016 SimpleAggregateFunction(sum, UInt64), latency_b017 SimpleAggregateFunction(sum, UInt64), latency_b018 SimpleAggregateFunction(sum, UInt64), latency_b019 SimpleAggregateFunction(sum, UInt64),
    latency_b020 SimpleAggregateFunction(sum, UInt64), latency_b021 SimpleAggregateFunction(sum, UInt64), latency_b022 SimpleAggregateFunction(sum, UInt64), latency_b023 SimpleAggregateFunction(sum, UInt64),
    latency_b024 SimpleAggregateFunction(sum, UInt64), latency_b025 SimpleAggregateFunction(sum, UInt64), latency_b026 SimpleAggregateFunction(sum, UInt64), latency_b027 SimpleAggregateFunction(sum, UInt64),
    latency_b028 SimpleAggregateFunction(sum, UInt64), latency_b029 SimpleAggregateFunction(sum, UInt64), latency_b030 SimpleAggregateFunction(sum, UInt64), latency_b031 SimpleAggregateFunction(sum, UInt64),
    latency_b032 SimpleAggregateFunction(sum, UInt64), latency_b033 SimpleAggregateFunction(sum, UInt64), latency_b034 SimpleAggregateFunction(sum, UInt64), latency_b035 SimpleAggregateFunction(sum, UInt64),
    latency_b036 SimpleAggregateFunction(sum, UInt64), latency_b037 SimpleAggregateFunction(sum, UInt64), latency_b038 SimpleAggregateFunction(sum, UInt64), latency_b039 SimpleAggregateFunction(sum, UInt64),
    latency_b040 SimpleAggregateFunction(sum, UInt64), latency_b041 SimpleAggregateFunction(sum, UInt64), latency_b042 SimpleAggregateFunction(sum, UInt64), latency_b043 SimpleAggregateFunction(sum, UInt64),
    latency_b044 SimpleAggregateFunction(sum, UInt64), latency_b045 SimpleAggregateFunction(sum, UInt64), latency_b046 SimpleAggregateFunction(sum, UInt64), latency_b047 SimpleAggregateFunction(sum, UInt64),
    latency_b048 SimpleAggregateFunction(sum, UInt64), latency_b049 SimpleAggregateFunction(sum, UInt64), latency_b050 SimpleAggregateFunction(sum, UInt64), latency_b051 SimpleAggregateFunction(sum, UInt64),
    latency_b052 SimpleAggregateFunction(sum, UInt64), latency_b053 SimpleAggregateFunction(sum, UInt64), latency_b054 SimpleAggregateFunction(sum, UInt64), latency_b055 SimpleAggregateFunction(sum, UInt64),
    latency_b056 SimpleAggregateFunction(sum, UInt64), latency_b057 SimpleAggregateFunction(sum, UInt64), latency_b058 SimpleAggregateFunction(sum, UInt64), latency_b059 SimpleAggregateFunction(sum, UInt64),
    latency_b060 SimpleAggregateFunction(sum, UInt64), latency_b061 SimpleAggregateFunction(sum, UInt64), latency_b062 SimpleAggregateFunction(sum, UInt64), latency_b063 SimpleAggregateFunction(sum, UInt64),
    latency_b064 SimpleAggregateFunction(sum, UInt64), latency_b065 SimpleAggregateFunction(sum, UInt64), latency_b066 SimpleAggregateFunction(sum, UInt64), latency_b067 SimpleAggregateFunction(sum, UInt64),
    latency_b068 SimpleAggregateFunction(sum, UInt64), latency_b069 SimpleAggregateFunction(sum, UInt64), latency_b070 SimpleAggregateFunction(sum, UInt64), latency_b071 SimpleAggregateFunction(sum, UInt64),
    latency_b072 SimpleAggregateFunction(sum, UInt64), latency_b073 SimpleAggregateFunction(sum, UInt64), latency_b074 SimpleAggregateFunction(sum, UInt64), latency_b075 SimpleAggregateFunction(sum, UInt64),
    latency_b076 SimpleAggregateFunction(sum, UInt64), latency_b077 SimpleAggregateFunction(sum, UInt64), latency_b078 SimpleAggregateFunction(sum, UInt64), latency_b079 SimpleAggregateFunction(sum, UInt64),
    latency_b080 SimpleAggregateFunction(sum, UInt64), latency_b081 SimpleAggregateFunction(sum, UInt64), latency_b082 SimpleAggregateFunction(sum, UInt64), latency_b083 SimpleAggregateFunction(sum, UInt64),
    latency_b084 SimpleAggregateFunction(sum, UInt64), latency_b085 SimpleAggregateFunction(sum, UInt64), latency_b086 SimpleAggregateFunction(sum, UInt64), latency_b087 SimpleAggregateFunction(sum, UInt64),
    latency_b088 SimpleAggregateFunction(sum, UInt64), latency_b089 SimpleAggregateFunction(sum, UInt64), latency_b090 SimpleAggregateFunction(sum, UInt64), latency_b091 SimpleAggregateFunction(sum, UInt64),
    latency_b092 SimpleAggregateFunction(sum, UInt64), latency_b093 SimpleAggregateFunction(sum, UInt64), latency_b094 SimpleAggregateFunction(sum, UInt64), latency_b095 SimpleAggregateFunction(sum, UInt64),
    latency_b096 SimpleAggregateFunction(sum, UInt64), latency_b097 SimpleAggregateFunction(sum, UInt64), latency_b098 SimpleAggregateFunction(sum, UInt64), latency_b099 SimpleAggregateFunction(sum, UInt64),
    latency_b100 SimpleAggregateFunction(sum, UInt64), latency_b101 SimpleAggregateFunction(sum, UInt64), latency_b102 SimpleAggregateFunction(sum, UInt64), latency_b103 SimpleAggregateFunction(sum, UInt64),
    latency_b104 SimpleAggregateFunction(sum, UInt64), latency_b105 SimpleAggregateFunction(sum, UInt64), latency_b106 SimpleAggregateFunction(sum, UInt64), latency_b107 SimpleAggregateFunction(sum, UInt64),
    latency_b108 SimpleAggregateFunction(sum, UInt64), latency_b109 SimpleAggregateFunction(sum, UInt64), latency_b110 SimpleAggregateFunction(sum, UInt64), latency_b111 SimpleAggregateFunction(sum, UInt64),
    latency_b112 SimpleAggregateFunction(sum, UInt64), latency_b113 SimpleAggregateFunction(sum, UInt64), latency_b114 SimpleAggregateFunction(sum, UInt64), latency_b115 SimpleAggregateFunction(sum, UInt64),
    latency_b116 SimpleAggregateFunction(sum, UInt64), latency_b117 SimpleAggregateFunction(sum, UInt64), latency_b118 SimpleAggregateFunction(sum, UInt64), latency_b119 SimpleAggregateFunction(sum, UInt64),
    latency_b120 SimpleAggregateFunction(sum, UInt64), latency_b121 SimpleAggregateFunction(sum, UInt64), latency_b122 SimpleAggregateFunction(sum, UInt64), latency_b123 SimpleAggregateFunction(sum, UInt64),
    latency_b124 SimpleAggregateFunction(sum, UInt64), latency_b125 SimpleAggregateFunction(sum, UInt64), latency_b126 SimpleAggregateFunction(sum, UInt64), latency_b127 SimpleAggregateFunction(sum, UInt64),
    latency_b128 SimpleAggregateFunction(sum, UInt64), latency_b129 SimpleAggregateFunction(sum, UInt64), latency_b130 SimpleAggregateFunction(sum, UInt64), latency_b131 SimpleAggregateFunction(sum, UInt64),
    latency_b132 SimpleAggregateFunction(sum, UInt64), latency_b133 SimpleAggregateFunction(sum, UInt64), latency_b134 SimpleAggregateFunction(sum, UInt64), latency_b135 SimpleAggregateFunction(sum, UInt64),
    latency_b136 SimpleAggregateFunction(sum, UInt64), latency_b137 SimpleAggregateFunction(sum, UInt64), latency_b138 SimpleAggregateFunction(sum, UInt64), latency_b139 SimpleAggregateFunction(sum, UInt64),
    latency_b140 SimpleAggregateFunction(sum, UInt64), latency_b141 SimpleAggregateFunction(sum, UInt64), latency_b142 SimpleAggregateFunction(sum, UInt64), latency_b143 SimpleAggregateFunction(sum, UInt64),
    latency_b144 SimpleAggregateFunction(sum, UInt64), latency_b145 SimpleAggregateFunction(sum, UInt64), latency_b146 SimpleAggregateFunction(sum, UInt64), latency_b147 SimpleAggregateFunction(sum, UInt64),
    latency_b148 SimpleAggregateFunction(sum, UInt64), latency_b149 SimpleAggregateFunction(sum, UInt64), latency_b150 SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, feature, customer, model, provider, env, currency);

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_hourly_mv TO llm_usage_hourly AS
SELECT
    hour, feature, customer, model, provider, env, currency, requests, error_requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, audio_input_tokens, audio_output_tokens, image_tokens, estimated_cost, provider_cost,
    latency_histogram[1] AS latency_b000, latency_histogram[2] AS latency_b001, latency_histogram[3] AS latency_b002, latency_histogram[4] AS latency_b003, latency_histogram[5] AS latency_b004, latency_histogram[6] AS latency_b005,
    latency_histogram[7] AS latency_b006, latency_histogram[8] AS latency_b007, latency_histogram[9] AS latency_b008, latency_histogram[10] AS latency_b009, latency_histogram[11] AS latency_b010, latency_histogram[12] AS latency_b011,
    latency_histogram[13] AS latency_b012, latency_histogram[14] AS latency_b013, latency_histogram[15] AS latency_b014, latency_histogram[16] AS latency_b015, latency_histogram[17] AS latency_b016, latency_histogram[18] AS latency_b017,
    latency_histogram[19] AS latency_b018, latency_histogram[20] AS latency_b019, latency_histogram[21] AS latency_b020, latency_histogram[22] AS latency_b021, latency_histogram[23] AS latency_b022, latency_histogram[24] AS latency_b023,
    latency_histogram[25] AS latency_b024, latency_histogram[26] AS latency_b025, latency_histogram[27] AS latency_b026, latency_histogram[28] AS latency_b027, latency_histogram[29] AS latency_b028, latency_histogram[30] AS latency_b029,
    latency_histogram[31] AS latency_b030, latency_histogram[32] AS latency_b031, latency_histogram[33] AS latency_b032, latency_histogram[34] AS latency_b033, latency_histogram[35] AS latency_b034, latency_histogram[36] AS latency_b035,
    latency_histogram[37] AS latency_b036, latency_histogram[38] AS latency_b037, latency_histogram[39] AS latency_b038, latency_histogram[40] AS latency_b039, latency_histogram[41] AS latency_b040, latency_histogram[42] AS latency_b041,
    latency_histogram[43] AS latency_b042, latency_histogram[44] AS latency_b043, latency_histogram[45] AS latency_b044, latency_histogram[46] AS latency_b045, latency_histogram[47] AS latency_b046, latency_histogram[48] AS latency_b047,
    latency_histogram[49] AS latency_b048, latency_histogram[50] AS latency_b049, latency_histogram[51] AS latency_b050, latency_histogram[52] AS latency_b051, latency_histogram[53] AS latency_b052, latency_histogram[54] AS latency_b053,
    latency_histogram[55] AS latency_b054, latency_histogram[56] AS latency_b055, latency_histogram[57] AS latency_b056, latency_histogram[58] AS latency_b057, latency_histogram[59] AS latency_b058, latency_histogram[60] AS latency_b059,
    latency_histogram[61] AS latency_b060, latency_histogram[62] AS latency_b061, latency_histogram[63] AS latency_b062, latency_histogram[64] AS latency_b063, latency_histogram[65] AS latency_b064, latency_histogram[66] AS latency_b065,
    latency_histogram[67] AS latency_b066, latency_histogram[68] AS latency_b067, latency_histogram[69] AS latency_b068, latency_histogram[70] AS latency_b069, latency_histogram[71] AS latency_b070, latency_histogram[72] AS latency_b071,
    latency_histogram[73] AS latency_b072, latency_histogram[74] AS latency_b073, latency_histogram[75] AS latency_b074, latency_histogram[76] AS latency_b075, latency_histogram[77] AS latency_b076, latency_histogram[78] AS latency_b077,
    latency_histogram[79] AS latency_b078, latency_histogram[80] AS latency_b079, latency_histogram[81] AS latency_b080, latency_histogram[82] AS latency_b081, latency_histogram[83] AS latency_b082, latency_histogram[84] AS latency_b083,
    latency_histogram[85] AS latency_b084, latency_histogram[86] AS latency_b085, latency_histogram[87] AS latency_b086, latency_histogram[88] AS latency_b087, latency_histogram[89] AS latency_b088, latency_histogram[90] AS latency_b089,
    latency_histogram[91] AS latency_b090, latency_histogram[92] AS latency_b091, latency_histogram[93] AS latency_b092, latency_histogram[94] AS latency_b093, latency_histogram[95] AS latency_b094, latency_histogram[96] AS latency_b095,
    latency_histogram[97] AS latency_b096, latency_histogram[98] AS latency_b097, latency_histogram[99] AS latency_b098, latency_histogram[100] AS latency_b099, latency_histogram[101] AS latency_b100, latency_histogram[102] AS latency_b101,
    latency_histogram[103] AS latency_b102, latency_histogram[104] AS latency_b103, latency_histogram[105] AS latency_b104, latency_histogram[106] AS latency_b105, latency_histogram[107] AS latency_b106, latency_histogram[108] AS latency_b107,
    latency_histogram[109] AS latency_b108, latency_histogram[110] AS latency_b109, latency_histogram[111] AS latency_b110, latency_histogram[112] AS latency_b111, latency_histogram[113] AS latency_b112, latency_histogram[114] AS latency_b113,
    latency_histogram[115] AS latency_b114, latency_histogram[116] AS latency_b115, latency_histogram[117] AS latency_b116, latency_histogram[118] AS latency_b117, latency_histogram[119] AS latency_b118, latency_histogram[120] AS latency_b119,
    latency_histogram[121] AS latency_b120, latency_histogram[122] AS latency_b121, latency_histogram[123] AS latency_b122, latency_histogram[124] AS latency_b123, latency_histogram[125] AS latency_b124, latency_histogram[126] AS latency_b125,
    latency_histogram[127] AS latency_b126, latency_histogram[128] AS latency_b127, latency_histogram[129] AS latency_b128, latency_histogram[130] AS latency_b129, latency_histogram[131] AS latency_b130, latency_histogram[132] AS latency_b131,
    latency_histogram[133] AS latency_b132, latency_histogram[134] AS latency_b133, latency_histogram[135] AS latency_b134, latency_histogram[136] AS latency_b135, latency_histogram[137] AS latency_b136, latency_histogram[138] AS latency_b137,
    latency_histogram[139] AS latency_b138, latency_histogram[140] AS latency_b139, latency_histogram[141] AS latency_b140, latency_histogram[142] AS latency_b141, latency_histogram[143] AS latency_b142, latency_histogram[144] AS latency_b143,
    latency_histogram[145] AS latency_b144, latency_histogram[146] AS latency_b145, latency_histogram[147] AS latency_b146, latency_histogram[148] AS latency_b147, latency_histogram[149] AS latency_b148, latency_histogram[150] AS latency_b149,
    latency_histogram[151] AS latency_b150
FROM
(
    SELECT
        hour, feature, customer, model, provider, env, currency,
        sum(d_requests) AS requests,
        sum(d_errors) AS error_requests,
        sum(d_input_tokens) AS input_tokens,
        sum(d_cached_input_tokens) AS cached_input_tokens,
        sum(d_cache_write_tokens) AS cache_write_tokens,
        sum(d_output_tokens) AS output_tokens,
        sum(d_reasoning_tokens) AS reasoning_tokens,
        sum(d_audio_input_tokens) AS audio_input_tokens,
        sum(d_audio_output_tokens) AS audio_output_tokens,
        sum(d_image_tokens) AS image_tokens,
        sum(d_cost) AS estimated_cost,
        sum(d_provider_cost) AS provider_cost,
        countResampleIf(0, 151, 1)(d_latency_bucket, d_requests = 1) AS latency_histogram
    FROM
    (
        SELECT
            toStartOfHour(ts) AS hour, feature, customer, model, provider, env, currency,
            toInt64(prev_version = 0) AS d_requests,
            toInt64(prev_version = 0 AND (status >= 400 OR status = 0)) AS d_errors,
            if(prev_version = 0, toInt64(input_tokens), 0) AS d_input_tokens,
            if(prev_version = 0, toInt64(cached_input_tokens), 0) AS d_cached_input_tokens,
            if(prev_version = 0, toInt64(cache_write_tokens), 0) AS d_cache_write_tokens,
            if(prev_version = 0, toInt64(output_tokens), 0) AS d_output_tokens,
            if(prev_version = 0, toInt64(reasoning_tokens), 0) AS d_reasoning_tokens,
            if(prev_version = 0, toInt64(audio_input_tokens), 0) AS d_audio_input_tokens,
            if(prev_version = 0, toInt64(audio_output_tokens), 0) AS d_audio_output_tokens,
            if(prev_version = 0, toInt64(image_tokens), 0) AS d_image_tokens,
            estimated_cost - prev_estimated_cost AS d_cost,
            ifNull(provider_cost, toDecimal128(0, 12)) - prev_provider_cost AS d_provider_cost,
            toUInt8(if(latency_ms < 8, latency_ms, if(latency_ms < 4194304, floor(7 * log2(latency_ms)) - 13, floor(log2(latency_ms)) + 119))) AS d_latency_bucket
        FROM llm_requests
    )
    GROUP BY hour, feature, customer, model, provider, env, currency
);

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_customer_mv TO llm_usage_daily_customer AS
SELECT
    day, customer, currency, requests, error_requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, audio_input_tokens, audio_output_tokens, image_tokens, estimated_cost, provider_cost,
    latency_histogram[1] AS latency_b000, latency_histogram[2] AS latency_b001, latency_histogram[3] AS latency_b002, latency_histogram[4] AS latency_b003, latency_histogram[5] AS latency_b004, latency_histogram[6] AS latency_b005,
    latency_histogram[7] AS latency_b006, latency_histogram[8] AS latency_b007, latency_histogram[9] AS latency_b008, latency_histogram[10] AS latency_b009, latency_histogram[11] AS latency_b010, latency_histogram[12] AS latency_b011,
    latency_histogram[13] AS latency_b012, latency_histogram[14] AS latency_b013, latency_histogram[15] AS latency_b014, latency_histogram[16] AS latency_b015, latency_histogram[17] AS latency_b016, latency_histogram[18] AS latency_b017,
    latency_histogram[19] AS latency_b018, latency_histogram[20] AS latency_b019, latency_histogram[21] AS latency_b020, latency_histogram[22] AS latency_b021, latency_histogram[23] AS latency_b022, latency_histogram[24] AS latency_b023,
    latency_histogram[25] AS latency_b024, latency_histogram[26] AS latency_b025, latency_histogram[27] AS latency_b026, latency_histogram[28] AS latency_b027, latency_histogram[29] AS latency_b028, latency_histogram[30] AS latency_b029,
    latency_histogram[31] AS latency_b030, latency_histogram[32] AS latency_b031, latency_histogram[33] AS latency_b032, latency_histogram[34] AS latency_b033, latency_histogram[35] AS latency_b034, latency_histogram[36] AS latency_b035,
    latency_histogram[37] AS latency_b036, latency_histogram[38] AS latency_b037, latency_histogram[39] AS latency_b038, latency_histogram[40] AS latency_b039, latency_histogram[41] AS latency_b040, latency_histogram[42] AS latency_b041,
    latency_histogram[43] AS latency_b042, latency_histogram[44] AS latency_b043, latency_histogram[45] AS latency_b044, latency_histogram[46] AS latency_b045, latency_histogram[47] AS latency_b046, latency_histogram[48] AS latency_b047,
    latency_histogram[49] AS latency_b048, latency_histogram[50] AS latency_b049, latency_histogram[51] AS latency_b050, latency_histogram[52] AS latency_b051, latency_histogram[53] AS latency_b052, latency_histogram[54] AS latency_b053,
    latency_histogram[55] AS latency_b054, latency_histogram[56] AS latency_b055, latency_histogram[57] AS latency_b056, latency_histogram[58] AS latency_b057, latency_histogram[59] AS latency_b058, latency_histogram[60] AS latency_b059,
    latency_histogram[61] AS latency_b060, latency_histogram[62] AS latency_b061, latency_histogram[63] AS latency_b062, latency_histogram[64] AS latency_b063, latency_histogram[65] AS latency_b064, latency_histogram[66] AS latency_b065,
    latency_histogram[67] AS latency_b066, latency_histogram[68] AS latency_b067, latency_histogram[69] AS latency_b068, latency_histogram[70] AS latency_b069, latency_histogram[71] AS latency_b070, latency_histogram[72] AS latency_b071,
    latency_histogram[73] AS latency_b072, latency_histogram[74] AS latency_b073, latency_histogram[75] AS latency_b074, latency_histogram[76] AS latency_b075, latency_histogram[77] AS latency_b076, latency_histogram[78] AS latency_b077,
    latency_histogram[79] AS latency_b078, latency_histogram[80] AS latency_b079, latency_histogram[81] AS latency_b080, latency_histogram[82] AS latency_b081, latency_histogram[83] AS latency_b082, latency_histogram[84] AS latency_b083,
    latency_histogram[85] AS latency_b084, latency_histogram[86] AS latency_b085, latency_histogram[87] AS latency_b086, latency_histogram[88] AS latency_b087, latency_histogram[89] AS latency_b088, latency_histogram[90] AS latency_b089,
    latency_histogram[91] AS latency_b090, latency_histogram[92] AS latency_b091, latency_histogram[93] AS latency_b092, latency_histogram[94] AS latency_b093, latency_histogram[95] AS latency_b094, latency_histogram[96] AS latency_b095,
    latency_histogram[97] AS latency_b096, latency_histogram[98] AS latency_b097, latency_histogram[99] AS latency_b098, latency_histogram[100] AS latency_b099, latency_histogram[101] AS latency_b100, latency_histogram[102] AS latency_b101,
    latency_histogram[103] AS latency_b102, latency_histogram[104] AS latency_b103, latency_histogram[105] AS latency_b104, latency_histogram[106] AS latency_b105, latency_histogram[107] AS latency_b106, latency_histogram[108] AS latency_b107,
    latency_histogram[109] AS latency_b108, latency_histogram[110] AS latency_b109, latency_histogram[111] AS latency_b110, latency_histogram[112] AS latency_b111, latency_histogram[113] AS latency_b112, latency_histogram[114] AS latency_b113,
    latency_histogram[115] AS latency_b114, latency_histogram[116] AS latency_b115, latency_histogram[117] AS latency_b116, latency_histogram[118] AS latency_b117, latency_histogram[119] AS latency_b118, latency_histogram[120] AS latency_b119,
    latency_histogram[121] AS latency_b120, latency_histogram[122] AS latency_b121, latency_histogram[123] AS latency_b122, latency_histogram[124] AS latency_b123, latency_histogram[125] AS latency_b124, latency_histogram[126] AS latency_b125,
    latency_histogram[127] AS latency_b126, latency_histogram[128] AS latency_b127, latency_histogram[129] AS latency_b128, latency_histogram[130] AS latency_b129, latency_histogram[131] AS latency_b130, latency_histogram[132] AS latency_b131,
    latency_histogram[133] AS latency_b132, latency_histogram[134] AS latency_b133, latency_histogram[135] AS latency_b134, latency_histogram[136] AS latency_b135, latency_histogram[137] AS latency_b136, latency_histogram[138] AS latency_b137,
    latency_histogram[139] AS latency_b138, latency_histogram[140] AS latency_b139, latency_histogram[141] AS latency_b140, latency_histogram[142] AS latency_b141, latency_histogram[143] AS latency_b142, latency_histogram[144] AS latency_b143,
    latency_histogram[145] AS latency_b144, latency_histogram[146] AS latency_b145, latency_histogram[147] AS latency_b146, latency_histogram[148] AS latency_b147, latency_histogram[149] AS latency_b148, latency_histogram[150] AS latency_b149,
    latency_histogram[151] AS latency_b150
FROM
(
    SELECT
        day, customer, currency,
        sum(d_requests) AS requests,
        sum(d_errors) AS error_requests,
        sum(d_input_tokens) AS input_tokens,
        sum(d_cached_input_tokens) AS cached_input_tokens,
        sum(d_cache_write_tokens) AS cache_write_tokens,
        sum(d_output_tokens) AS output_tokens,
        sum(d_reasoning_tokens) AS reasoning_tokens,
        sum(d_audio_input_tokens) AS audio_input_tokens,
        sum(d_audio_output_tokens) AS audio_output_tokens,
        sum(d_image_tokens) AS image_tokens,
        sum(d_cost) AS estimated_cost,
        sum(d_provider_cost) AS provider_cost,
        countResampleIf(0, 151, 1)(d_latency_bucket, d_requests = 1) AS latency_histogram
    FROM
    (
        SELECT
            toDate(ts) AS day, customer, currency,
            toInt64(prev_version = 0) AS d_requests,
            toInt64(prev_version = 0 AND (status >= 400 OR status = 0)) AS d_errors,
            if(prev_version = 0, toInt64(input_tokens), 0) AS d_input_tokens,
            if(prev_version = 0, toInt64(cached_input_tokens), 0) AS d_cached_input_tokens,
            if(prev_version = 0, toInt64(cache_write_tokens), 0) AS d_cache_write_tokens,
            if(prev_version = 0, toInt64(output_tokens), 0) AS d_output_tokens,
            if(prev_version = 0, toInt64(reasoning_tokens), 0) AS d_reasoning_tokens,
            if(prev_version = 0, toInt64(audio_input_tokens), 0) AS d_audio_input_tokens,
            if(prev_version = 0, toInt64(audio_output_tokens), 0) AS d_audio_output_tokens,
            if(prev_version = 0, toInt64(image_tokens), 0) AS d_image_tokens,
            estimated_cost - prev_estimated_cost AS d_cost,
            ifNull(provider_cost, toDecimal128(0, 12)) - prev_provider_cost AS d_provider_cost,
            toUInt8(if(latency_ms < 8, latency_ms, if(latency_ms < 4194304, floor(7 * log2(latency_ms)) - 13, floor(log2(latency_ms)) + 119))) AS d_latency_bucket
        FROM llm_requests
    )
    GROUP BY day, customer, currency
);

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_usage_daily_mv TO llm_usage_daily AS
SELECT
    day, feature, customer, model, provider, env, currency, requests, error_requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, audio_input_tokens, audio_output_tokens, image_tokens, estimated_cost, provider_cost,
    latency_histogram[1] AS latency_b000, latency_histogram[2] AS latency_b001, latency_histogram[3] AS latency_b002, latency_histogram[4] AS latency_b003, latency_histogram[5] AS latency_b004, latency_histogram[6] AS latency_b005,
    latency_histogram[7] AS latency_b006, latency_histogram[8] AS latency_b007, latency_histogram[9] AS latency_b008, latency_histogram[10] AS latency_b009, latency_histogram[11] AS latency_b010, latency_histogram[12] AS latency_b011,
    latency_histogram[13] AS latency_b012, latency_histogram[14] AS latency_b013, latency_histogram[15] AS latency_b014, latency_histogram[16] AS latency_b015, latency_histogram[17] AS latency_b016, latency_histogram[18] AS latency_b017,
    latency_histogram[19] AS latency_b018, latency_histogram[20] AS latency_b019, latency_histogram[21] AS latency_b020, latency_histogram[22] AS latency_b021, latency_histogram[23] AS latency_b022, latency_histogram[24] AS latency_b023,
    latency_histogram[25] AS latency_b024, latency_histogram[26] AS latency_b025, latency_histogram[27] AS latency_b026, latency_histogram[28] AS latency_b027, latency_histogram[29] AS latency_b028, latency_histogram[30] AS latency_b029,
    latency_histogram[31] AS latency_b030, latency_histogram[32] AS latency_b031, latency_histogram[33] AS latency_b032, latency_histogram[34] AS latency_b033, latency_histogram[35] AS latency_b034, latency_histogram[36] AS latency_b035,
    latency_histogram[37] AS latency_b036, latency_histogram[38] AS latency_b037, latency_histogram[39] AS latency_b038, latency_histogram[40] AS latency_b039, latency_histogram[41] AS latency_b040, latency_histogram[42] AS latency_b041,
    latency_histogram[43] AS latency_b042, latency_histogram[44] AS latency_b043, latency_histogram[45] AS latency_b044, latency_histogram[46] AS latency_b045, latency_histogram[47] AS latency_b046, latency_histogram[48] AS latency_b047,
    latency_histogram[49] AS latency_b048, latency_histogram[50] AS latency_b049, latency_histogram[51] AS latency_b050, latency_histogram[52] AS latency_b051, latency_histogram[53] AS latency_b052, latency_histogram[54] AS latency_b053,
    latency_histogram[55] AS latency_b054, latency_histogram[56] AS latency_b055, latency_histogram[57] AS latency_b056, latency_histogram[58] AS latency_b057, latency_histogram[59] AS latency_b058, latency_histogram[60] AS latency_b059,
    latency_histogram[61] AS latency_b060, latency_histogram[62] AS latency_b061, latency_histogram[63] AS latency_b062, latency_histogram[64] AS latency_b063, latency_histogram[65] AS latency_b064, latency_histogram[66] AS latency_b065,
    latency_histogram[67] AS latency_b066, latency_histogram[68] AS latency_b067, latency_histogram[69] AS latency_b068, latency_histogram[70] AS latency_b069, latency_histogram[71] AS latency_b070, latency_histogram[72] AS latency_b071,
    latency_histogram[73] AS latency_b072, latency_histogram[74] AS latency_b073, latency_histogram[75] AS latency_b074, latency_histogram[76] AS latency_b075, latency_histogram[77] AS latency_b076, latency_histogram[78] AS latency_b077,
    latency_histogram[79] AS latency_b078, latency_histogram[80] AS latency_b079, latency_histogram[81] AS latency_b080, latency_histogram[82] AS latency_b081, latency_histogram[83] AS latency_b082, latency_histogram[84] AS latency_b083,
    latency_histogram[85] AS latency_b084, latency_histogram[86] AS latency_b085, latency_histogram[87] AS latency_b086, latency_histogram[88] AS latency_b087, latency_histogram[89] AS latency_b088, latency_histogram[90] AS latency_b089,
    latency_histogram[91] AS latency_b090, latency_histogram[92] AS latency_b091, latency_histogram[93] AS latency_b092, latency_histogram[94] AS latency_b093, latency_histogram[95] AS latency_b094, latency_histogram[96] AS latency_b095,
    latency_histogram[97] AS latency_b096, latency_histogram[98] AS latency_b097, latency_histogram[99] AS latency_b098, latency_histogram[100] AS latency_b099, latency_histogram[101] AS latency_b100, latency_histogram[102] AS latency_b101,
    latency_histogram[103] AS latency_b102, latency_histogram[104] AS latency_b103, latency_histogram[105] AS latency_b104, latency_histogram[106] AS latency_b105, latency_histogram[107] AS latency_b106, latency_histogram[108] AS latency_b107,
    latency_histogram[109] AS latency_b108, latency_histogram[110] AS latency_b109, latency_histogram[111] AS latency_b110, latency_histogram[112] AS latency_b111, latency_histogram[113] AS latency_b112, latency_histogram[114] AS latency_b113,
    latency_histogram[115] AS latency_b114, latency_histogram[116] AS latency_b115, latency_histogram[117] AS latency_b116, latency_histogram[118] AS latency_b117, latency_histogram[119] AS latency_b118, latency_histogram[120] AS latency_b119,
    latency_histogram[121] AS latency_b120, latency_histogram[122] AS latency_b121, latency_histogram[123] AS latency_b122, latency_histogram[124] AS latency_b123, latency_histogram[125] AS latency_b124, latency_histogram[126] AS latency_b125,
    latency_histogram[127] AS latency_b126, latency_histogram[128] AS latency_b127, latency_histogram[129] AS latency_b128, latency_histogram[130] AS latency_b129, latency_histogram[131] AS latency_b130, latency_histogram[132] AS latency_b131,
    latency_histogram[133] AS latency_b132, latency_histogram[134] AS latency_b133, latency_histogram[135] AS latency_b134, latency_histogram[136] AS latency_b135, latency_histogram[137] AS latency_b136, latency_histogram[138] AS latency_b137,
    latency_histogram[139] AS latency_b138, latency_histogram[140] AS latency_b139, latency_histogram[141] AS latency_b140, latency_histogram[142] AS latency_b141, latency_histogram[143] AS latency_b142, latency_histogram[144] AS latency_b143,
    latency_histogram[145] AS latency_b144, latency_histogram[146] AS latency_b145, latency_histogram[147] AS latency_b146, latency_histogram[148] AS latency_b147, latency_histogram[149] AS latency_b148, latency_histogram[150] AS latency_b149,
    latency_histogram[151] AS latency_b150
FROM
(
    SELECT
        day, feature, customer, model, provider, env, currency,
        sum(d_requests) AS requests,
        sum(d_errors) AS error_requests,
        sum(d_input_tokens) AS input_tokens,
        sum(d_cached_input_tokens) AS cached_input_tokens,
        sum(d_cache_write_tokens) AS cache_write_tokens,
        sum(d_output_tokens) AS output_tokens,
        sum(d_reasoning_tokens) AS reasoning_tokens,
        sum(d_audio_input_tokens) AS audio_input_tokens,
        sum(d_audio_output_tokens) AS audio_output_tokens,
        sum(d_image_tokens) AS image_tokens,
        sum(d_cost) AS estimated_cost,
        sum(d_provider_cost) AS provider_cost,
        countResampleIf(0, 151, 1)(d_latency_bucket, d_requests = 1) AS latency_histogram
    FROM
    (
        SELECT
            toDate(ts) AS day, feature, customer, model, provider, env, currency,
            toInt64(prev_version = 0) AS d_requests,
            toInt64(prev_version = 0 AND (status >= 400 OR status = 0)) AS d_errors,
            if(prev_version = 0, toInt64(input_tokens), 0) AS d_input_tokens,
            if(prev_version = 0, toInt64(cached_input_tokens), 0) AS d_cached_input_tokens,
            if(prev_version = 0, toInt64(cache_write_tokens), 0) AS d_cache_write_tokens,
            if(prev_version = 0, toInt64(output_tokens), 0) AS d_output_tokens,
            if(prev_version = 0, toInt64(reasoning_tokens), 0) AS d_reasoning_tokens,
            if(prev_version = 0, toInt64(audio_input_tokens), 0) AS d_audio_input_tokens,
            if(prev_version = 0, toInt64(audio_output_tokens), 0) AS d_audio_output_tokens,
            if(prev_version = 0, toInt64(image_tokens), 0) AS d_image_tokens,
            estimated_cost - prev_estimated_cost AS d_cost,
            ifNull(provider_cost, toDecimal128(0, 12)) - prev_provider_cost AS d_provider_cost,
            toUInt8(if(latency_ms < 8, latency_ms, if(latency_ms < 4194304, floor(7 * log2(latency_ms)) - 13, floor(log2(latency_ms)) + 119))) AS d_latency_bucket
        FROM llm_requests
    )
    GROUP BY day, feature, customer, model, provider, env, currency
);

INSERT INTO llm_usage_hourly
SELECT hour, feature, customer, model, provider, env, currency, requests, error_requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, audio_input_tokens, audio_output_tokens, image_tokens, estimated_cost, provider_cost,
    latency_histogram[1] AS latency_b000, latency_histogram[2] AS latency_b001, latency_histogram[3] AS latency_b002, latency_histogram[4] AS latency_b003, latency_histogram[5] AS latency_b004, latency_histogram[6] AS latency_b005,
    latency_histogram[7] AS latency_b006, latency_histogram[8] AS latency_b007, latency_histogram[9] AS latency_b008, latency_histogram[10] AS latency_b009, latency_histogram[11] AS latency_b010, latency_histogram[12] AS latency_b011,
    latency_histogram[13] AS latency_b012, latency_histogram[14] AS latency_b013, latency_histogram[15] AS latency_b014, latency_histogram[16] AS latency_b015, latency_histogram[17] AS latency_b016, latency_histogram[18] AS latency_b017,
    latency_histogram[19] AS latency_b018, latency_histogram[20] AS latency_b019, latency_histogram[21] AS latency_b020, latency_histogram[22] AS latency_b021, latency_histogram[23] AS latency_b022, latency_histogram[24] AS latency_b023,
    latency_histogram[25] AS latency_b024, latency_histogram[26] AS latency_b025, latency_histogram[27] AS latency_b026, latency_histogram[28] AS latency_b027, latency_histogram[29] AS latency_b028, latency_histogram[30] AS latency_b029,
    latency_histogram[31] AS latency_b030, latency_histogram[32] AS latency_b031, latency_histogram[33] AS latency_b032, latency_histogram[34] AS latency_b033, latency_histogram[35] AS latency_b034, latency_histogram[36] AS latency_b035,
    latency_histogram[37] AS latency_b036, latency_histogram[38] AS latency_b037, latency_histogram[39] AS latency_b038, latency_histogram[40] AS latency_b039, latency_histogram[41] AS latency_b040, latency_histogram[42] AS latency_b041,
    latency_histogram[43] AS latency_b042, latency_histogram[44] AS latency_b043, latency_histogram[45] AS latency_b044, latency_histogram[46] AS latency_b045, latency_histogram[47] AS latency_b046, latency_histogram[48] AS latency_b047,
    latency_histogram[49] AS latency_b048, latency_histogram[50] AS latency_b049, latency_histogram[51] AS latency_b050, latency_histogram[52] AS latency_b051, latency_histogram[53] AS latency_b052, latency_histogram[54] AS latency_b053,
    latency_histogram[55] AS latency_b054, latency_histogram[56] AS latency_b055, latency_histogram[57] AS latency_b056, latency_histogram[58] AS latency_b057, latency_histogram[59] AS latency_b058, latency_histogram[60] AS latency_b059,
    latency_histogram[61] AS latency_b060, latency_histogram[62] AS latency_b061, latency_histogram[63] AS latency_b062, latency_histogram[64] AS latency_b063, latency_histogram[65] AS latency_b064, latency_histogram[66] AS latency_b065,
    latency_histogram[67] AS latency_b066, latency_histogram[68] AS latency_b067, latency_histogram[69] AS latency_b068, latency_histogram[70] AS latency_b069, latency_histogram[71] AS latency_b070, latency_histogram[72] AS latency_b071,
    latency_histogram[73] AS latency_b072, latency_histogram[74] AS latency_b073, latency_histogram[75] AS latency_b074, latency_histogram[76] AS latency_b075, latency_histogram[77] AS latency_b076, latency_histogram[78] AS latency_b077,
    latency_histogram[79] AS latency_b078, latency_histogram[80] AS latency_b079, latency_histogram[81] AS latency_b080, latency_histogram[82] AS latency_b081, latency_histogram[83] AS latency_b082, latency_histogram[84] AS latency_b083,
    latency_histogram[85] AS latency_b084, latency_histogram[86] AS latency_b085, latency_histogram[87] AS latency_b086, latency_histogram[88] AS latency_b087, latency_histogram[89] AS latency_b088, latency_histogram[90] AS latency_b089,
    latency_histogram[91] AS latency_b090, latency_histogram[92] AS latency_b091, latency_histogram[93] AS latency_b092, latency_histogram[94] AS latency_b093, latency_histogram[95] AS latency_b094, latency_histogram[96] AS latency_b095,
    latency_histogram[97] AS latency_b096, latency_histogram[98] AS latency_b097, latency_histogram[99] AS latency_b098, latency_histogram[100] AS latency_b099, latency_histogram[101] AS latency_b100, latency_histogram[102] AS latency_b101,
    latency_histogram[103] AS latency_b102, latency_histogram[104] AS latency_b103, latency_histogram[105] AS latency_b104, latency_histogram[106] AS latency_b105, latency_histogram[107] AS latency_b106, latency_histogram[108] AS latency_b107,
    latency_histogram[109] AS latency_b108, latency_histogram[110] AS latency_b109, latency_histogram[111] AS latency_b110, latency_histogram[112] AS latency_b111, latency_histogram[113] AS latency_b112, latency_histogram[114] AS latency_b113,
    latency_histogram[115] AS latency_b114, latency_histogram[116] AS latency_b115, latency_histogram[117] AS latency_b116, latency_histogram[118] AS latency_b117, latency_histogram[119] AS latency_b118, latency_histogram[120] AS latency_b119,
    latency_histogram[121] AS latency_b120, latency_histogram[122] AS latency_b121, latency_histogram[123] AS latency_b122, latency_histogram[124] AS latency_b123, latency_histogram[125] AS latency_b124, latency_histogram[126] AS latency_b125,
    latency_histogram[127] AS latency_b126, latency_histogram[128] AS latency_b127, latency_histogram[129] AS latency_b128, latency_histogram[130] AS latency_b129, latency_histogram[131] AS latency_b130, latency_histogram[132] AS latency_b131,
    latency_histogram[133] AS latency_b132, latency_histogram[134] AS latency_b133, latency_histogram[135] AS latency_b134, latency_histogram[136] AS latency_b135, latency_histogram[137] AS latency_b136, latency_histogram[138] AS latency_b137,
    latency_histogram[139] AS latency_b138, latency_histogram[140] AS latency_b139, latency_histogram[141] AS latency_b140, latency_histogram[142] AS latency_b141, latency_histogram[143] AS latency_b142, latency_histogram[144] AS latency_b143,
    latency_histogram[145] AS latency_b144, latency_histogram[146] AS latency_b145, latency_histogram[147] AS latency_b146, latency_histogram[148] AS latency_b147, latency_histogram[149] AS latency_b148, latency_histogram[150] AS latency_b149,
    latency_histogram[151] AS latency_b150
FROM
(
    SELECT toStartOfHour(ts) AS hour, feature, customer, model, provider, env, currency,
        count() AS requests, countIf(status >= 400 OR status = 0) AS error_requests,
        sum(toInt64(input_tokens)) AS input_tokens, sum(toInt64(cached_input_tokens)) AS cached_input_tokens, sum(toInt64(cache_write_tokens)) AS cache_write_tokens, sum(toInt64(output_tokens)) AS output_tokens, sum(toInt64(reasoning_tokens)) AS reasoning_tokens, sum(toInt64(audio_input_tokens)) AS audio_input_tokens, sum(toInt64(audio_output_tokens)) AS audio_output_tokens, sum(toInt64(image_tokens)) AS image_tokens,
        sum(estimated_cost) AS estimated_cost, sum(ifNull(provider_cost, toDecimal128(0, 12))) AS provider_cost,
        countResample(0, 151, 1)(toUInt8(if(latency_ms < 8, latency_ms, if(latency_ms < 4194304, floor(7 * log2(latency_ms)) - 13, floor(log2(latency_ms)) + 119)))) AS latency_histogram
    FROM llm_requests FINAL
    GROUP BY hour, feature, customer, model, provider, env, currency
);

INSERT INTO llm_usage_daily_customer
SELECT day, customer, currency, requests, error_requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, audio_input_tokens, audio_output_tokens, image_tokens, estimated_cost, provider_cost,
    latency_histogram[1] AS latency_b000, latency_histogram[2] AS latency_b001, latency_histogram[3] AS latency_b002, latency_histogram[4] AS latency_b003, latency_histogram[5] AS latency_b004, latency_histogram[6] AS latency_b005,
    latency_histogram[7] AS latency_b006, latency_histogram[8] AS latency_b007, latency_histogram[9] AS latency_b008, latency_histogram[10] AS latency_b009, latency_histogram[11] AS latency_b010, latency_histogram[12] AS latency_b011,
    latency_histogram[13] AS latency_b012, latency_histogram[14] AS latency_b013, latency_histogram[15] AS latency_b014, latency_histogram[16] AS latency_b015, latency_histogram[17] AS latency_b016, latency_histogram[18] AS latency_b017,
    latency_histogram[19] AS latency_b018, latency_histogram[20] AS latency_b019, latency_histogram[21] AS latency_b020, latency_histogram[22] AS latency_b021, latency_histogram[23] AS latency_b022, latency_histogram[24] AS latency_b023,
    latency_histogram[25] AS latency_b024, latency_histogram[26] AS latency_b025, latency_histogram[27] AS latency_b026, latency_histogram[28] AS latency_b027, latency_histogram[29] AS latency_b028, latency_histogram[30] AS latency_b029,
    latency_histogram[31] AS latency_b030, latency_histogram[32] AS latency_b031, latency_histogram[33] AS latency_b032, latency_histogram[34] AS latency_b033, latency_histogram[35] AS latency_b034, latency_histogram[36] AS latency_b035,
    latency_histogram[37] AS latency_b036, latency_histogram[38] AS latency_b037, latency_histogram[39] AS latency_b038, latency_histogram[40] AS latency_b039, latency_histogram[41] AS latency_b040, latency_histogram[42] AS latency_b041,
    latency_histogram[43] AS latency_b042, latency_histogram[44] AS latency_b043, latency_histogram[45] AS latency_b044, latency_histogram[46] AS latency_b045, latency_histogram[47] AS latency_b046, latency_histogram[48] AS latency_b047,
    latency_histogram[49] AS latency_b048, latency_histogram[50] AS latency_b049, latency_histogram[51] AS latency_b050, latency_histogram[52] AS latency_b051, latency_histogram[53] AS latency_b052, latency_histogram[54] AS latency_b053,
    latency_histogram[55] AS latency_b054, latency_histogram[56] AS latency_b055, latency_histogram[57] AS latency_b056, latency_histogram[58] AS latency_b057, latency_histogram[59] AS latency_b058, latency_histogram[60] AS latency_b059,
    latency_histogram[61] AS latency_b060, latency_histogram[62] AS latency_b061, latency_histogram[63] AS latency_b062, latency_histogram[64] AS latency_b063, latency_histogram[65] AS latency_b064, latency_histogram[66] AS latency_b065,
    latency_histogram[67] AS latency_b066, latency_histogram[68] AS latency_b067, latency_histogram[69] AS latency_b068, latency_histogram[70] AS latency_b069, latency_histogram[71] AS latency_b070, latency_histogram[72] AS latency_b071,
    latency_histogram[73] AS latency_b072, latency_histogram[74] AS latency_b073, latency_histogram[75] AS latency_b074, latency_histogram[76] AS latency_b075, latency_histogram[77] AS latency_b076, latency_histogram[78] AS latency_b077,
    latency_histogram[79] AS latency_b078, latency_histogram[80] AS latency_b079, latency_histogram[81] AS latency_b080, latency_histogram[82] AS latency_b081, latency_histogram[83] AS latency_b082, latency_histogram[84] AS latency_b083,
    latency_histogram[85] AS latency_b084, latency_histogram[86] AS latency_b085, latency_histogram[87] AS latency_b086, latency_histogram[88] AS latency_b087, latency_histogram[89] AS latency_b088, latency_histogram[90] AS latency_b089,
    latency_histogram[91] AS latency_b090, latency_histogram[92] AS latency_b091, latency_histogram[93] AS latency_b092, latency_histogram[94] AS latency_b093, latency_histogram[95] AS latency_b094, latency_histogram[96] AS latency_b095,
    latency_histogram[97] AS latency_b096, latency_histogram[98] AS latency_b097, latency_histogram[99] AS latency_b098, latency_histogram[100] AS latency_b099, latency_histogram[101] AS latency_b100, latency_histogram[102] AS latency_b101,
    latency_histogram[103] AS latency_b102, latency_histogram[104] AS latency_b103, latency_histogram[105] AS latency_b104, latency_histogram[106] AS latency_b105, latency_histogram[107] AS latency_b106, latency_histogram[108] AS latency_b107,
    latency_histogram[109] AS latency_b108, latency_histogram[110] AS latency_b109, latency_histogram[111] AS latency_b110, latency_histogram[112] AS latency_b111, latency_histogram[113] AS latency_b112, latency_histogram[114] AS latency_b113,
    latency_histogram[115] AS latency_b114, latency_histogram[116] AS latency_b115, latency_histogram[117] AS latency_b116, latency_histogram[118] AS latency_b117, latency_histogram[119] AS latency_b118, latency_histogram[120] AS latency_b119,
    latency_histogram[121] AS latency_b120, latency_histogram[122] AS latency_b121, latency_histogram[123] AS latency_b122, latency_histogram[124] AS latency_b123, latency_histogram[125] AS latency_b124, latency_histogram[126] AS latency_b125,
    latency_histogram[127] AS latency_b126, latency_histogram[128] AS latency_b127, latency_histogram[129] AS latency_b128, latency_histogram[130] AS latency_b129, latency_histogram[131] AS latency_b130, latency_histogram[132] AS latency_b131,
    latency_histogram[133] AS latency_b132, latency_histogram[134] AS latency_b133, latency_histogram[135] AS latency_b134, latency_histogram[136] AS latency_b135, latency_histogram[137] AS latency_b136, latency_histogram[138] AS latency_b137,
    latency_histogram[139] AS latency_b138, latency_histogram[140] AS latency_b139, latency_histogram[141] AS latency_b140, latency_histogram[142] AS latency_b141, latency_histogram[143] AS latency_b142, latency_histogram[144] AS latency_b143,
    latency_histogram[145] AS latency_b144, latency_histogram[146] AS latency_b145, latency_histogram[147] AS latency_b146, latency_histogram[148] AS latency_b147, latency_histogram[149] AS latency_b148, latency_histogram[150] AS latency_b149,
    latency_histogram[151] AS latency_b150
FROM
(
    SELECT toDate(ts) AS day, customer, currency,
        count() AS requests, countIf(status >= 400 OR status = 0) AS error_requests,
        sum(toInt64(input_tokens)) AS input_tokens, sum(toInt64(cached_input_tokens)) AS cached_input_tokens, sum(toInt64(cache_write_tokens)) AS cache_write_tokens, sum(toInt64(output_tokens)) AS output_tokens, sum(toInt64(reasoning_tokens)) AS reasoning_tokens, sum(toInt64(audio_input_tokens)) AS audio_input_tokens, sum(toInt64(audio_output_tokens)) AS audio_output_tokens, sum(toInt64(image_tokens)) AS image_tokens,
        sum(estimated_cost) AS estimated_cost, sum(ifNull(provider_cost, toDecimal128(0, 12))) AS provider_cost,
        countResample(0, 151, 1)(toUInt8(if(latency_ms < 8, latency_ms, if(latency_ms < 4194304, floor(7 * log2(latency_ms)) - 13, floor(log2(latency_ms)) + 119)))) AS latency_histogram
    FROM llm_requests FINAL
    GROUP BY day, customer, currency
);

INSERT INTO llm_usage_daily
SELECT day, feature, customer, model, provider, env, currency, requests, error_requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, audio_input_tokens, audio_output_tokens, image_tokens, estimated_cost, provider_cost,
    latency_histogram[1] AS latency_b000, latency_histogram[2] AS latency_b001, latency_histogram[3] AS latency_b002, latency_histogram[4] AS latency_b003, latency_histogram[5] AS latency_b004, latency_histogram[6] AS latency_b005,
    latency_histogram[7] AS latency_b006, latency_histogram[8] AS latency_b007, latency_histogram[9] AS latency_b008, latency_histogram[10] AS latency_b009, latency_histogram[11] AS latency_b010, latency_histogram[12] AS latency_b011,
    latency_histogram[13] AS latency_b012, latency_histogram[14] AS latency_b013, latency_histogram[15] AS latency_b014, latency_histogram[16] AS latency_b015, latency_histogram[17] AS latency_b016, latency_histogram[18] AS latency_b017,
    latency_histogram[19] AS latency_b018, latency_histogram[20] AS latency_b019, latency_histogram[21] AS latency_b020, latency_histogram[22] AS latency_b021, latency_histogram[23] AS latency_b022, latency_histogram[24] AS latency_b023,
    latency_histogram[25] AS latency_b024, latency_histogram[26] AS latency_b025, latency_histogram[27] AS latency_b026, latency_histogram[28] AS latency_b027, latency_histogram[29] AS latency_b028, latency_histogram[30] AS latency_b029,
    latency_histogram[31] AS latency_b030, latency_histogram[32] AS latency_b031, latency_histogram[33] AS latency_b032, latency_histogram[34] AS latency_b033, latency_histogram[35] AS latency_b034, latency_histogram[36] AS latency_b035,
    latency_histogram[37] AS latency_b036, latency_histogram[38] AS latency_b037, latency_histogram[39] AS latency_b038, latency_histogram[40] AS latency_b039, latency_histogram[41] AS latency_b040, latency_histogram[42] AS latency_b041,
    latency_histogram[43] AS latency_b042, latency_histogram[44] AS latency_b043, latency_histogram[45] AS latency_b044, latency_histogram[46] AS latency_b045, latency_histogram[47] AS latency_b046, latency_histogram[48] AS latency_b047,
    latency_histogram[49] AS latency_b048, latency_histogram[50] AS latency_b049, latency_histogram[51] AS latency_b050, latency_histogram[52] AS latency_b051, latency_histogram[53] AS latency_b052, latency_histogram[54] AS latency_b053,
    latency_histogram[55] AS latency_b054, latency_histogram[56] AS latency_b055, latency_histogram[57] AS latency_b056, latency_histogram[58] AS latency_b057, latency_histogram[59] AS latency_b058, latency_histogram[60] AS latency_b059,
    latency_histogram[61] AS latency_b060, latency_histogram[62] AS latency_b061, latency_histogram[63] AS latency_b062, latency_histogram[64] AS latency_b063, latency_histogram[65] AS latency_b064, latency_histogram[66] AS latency_b065,
    latency_histogram[67] AS latency_b066, latency_histogram[68] AS latency_b067, latency_histogram[69] AS latency_b068, latency_histogram[70] AS latency_b069, latency_histogram[71] AS latency_b070, latency_histogram[72] AS latency_b071,
    latency_histogram[73] AS latency_b072, latency_histogram[74] AS latency_b073, latency_histogram[75] AS latency_b074, latency_histogram[76] AS latency_b075, latency_histogram[77] AS latency_b076, latency_histogram[78] AS latency_b077,
    latency_histogram[79] AS latency_b078, latency_histogram[80] AS latency_b079, latency_histogram[81] AS latency_b080, latency_histogram[82] AS latency_b081, latency_histogram[83] AS latency_b082, latency_histogram[84] AS latency_b083,
    latency_histogram[85] AS latency_b084, latency_histogram[86] AS latency_b085, latency_histogram[87] AS latency_b086, latency_histogram[88] AS latency_b087, latency_histogram[89] AS latency_b088, latency_histogram[90] AS latency_b089,
    latency_histogram[91] AS latency_b090, latency_histogram[92] AS latency_b091, latency_histogram[93] AS latency_b092, latency_histogram[94] AS latency_b093, latency_histogram[95] AS latency_b094, latency_histogram[96] AS latency_b095,
    latency_histogram[97] AS latency_b096, latency_histogram[98] AS latency_b097, latency_histogram[99] AS latency_b098, latency_histogram[100] AS latency_b099, latency_histogram[101] AS latency_b100, latency_histogram[102] AS latency_b101,
    latency_histogram[103] AS latency_b102, latency_histogram[104] AS latency_b103, latency_histogram[105] AS latency_b104, latency_histogram[106] AS latency_b105, latency_histogram[107] AS latency_b106, latency_histogram[108] AS latency_b107,
    latency_histogram[109] AS latency_b108, latency_histogram[110] AS latency_b109, latency_histogram[111] AS latency_b110, latency_histogram[112] AS latency_b111, latency_histogram[113] AS latency_b112, latency_histogram[114] AS latency_b113,
    latency_histogram[115] AS latency_b114, latency_histogram[116] AS latency_b115, latency_histogram[117] AS latency_b116, latency_histogram[118] AS latency_b117, latency_histogram[119] AS latency_b118, latency_histogram[120] AS latency_b119,
    latency_histogram[121] AS latency_b120, latency_histogram[122] AS latency_b121, latency_histogram[123] AS latency_b122, latency_histogram[124] AS latency_b123, latency_histogram[125] AS latency_b124, latency_histogram[126] AS latency_b125,
    latency_histogram[127] AS latency_b126, latency_histogram[128] AS latency_b127, latency_histogram[129] AS latency_b128, latency_histogram[130] AS latency_b129, latency_histogram[131] AS latency_b130, latency_histogram[132] AS latency_b131,
    latency_histogram[133] AS latency_b132, latency_histogram[134] AS latency_b133, latency_histogram[135] AS latency_b134, latency_histogram[136] AS latency_b135, latency_histogram[137] AS latency_b136, latency_histogram[138] AS latency_b137,
    latency_histogram[139] AS latency_b138, latency_histogram[140] AS latency_b139, latency_histogram[141] AS latency_b140, latency_histogram[142] AS latency_b141, latency_histogram[143] AS latency_b142, latency_histogram[144] AS latency_b143,
    latency_histogram[145] AS latency_b144, latency_histogram[146] AS latency_b145, latency_histogram[147] AS latency_b146, latency_histogram[148] AS latency_b147, latency_histogram[149] AS latency_b148, latency_histogram[150] AS latency_b149,
    latency_histogram[151] AS latency_b150
FROM
(
    SELECT toDate(ts) AS day, feature, customer, model, provider, env, currency,
        count() AS requests, countIf(status >= 400 OR status = 0) AS error_requests,
        sum(toInt64(input_tokens)) AS input_tokens, sum(toInt64(cached_input_tokens)) AS cached_input_tokens, sum(toInt64(cache_write_tokens)) AS cache_write_tokens, sum(toInt64(output_tokens)) AS output_tokens, sum(toInt64(reasoning_tokens)) AS reasoning_tokens, sum(toInt64(audio_input_tokens)) AS audio_input_tokens, sum(toInt64(audio_output_tokens)) AS audio_output_tokens, sum(toInt64(image_tokens)) AS image_tokens,
        sum(estimated_cost) AS estimated_cost, sum(ifNull(provider_cost, toDecimal128(0, 12))) AS provider_cost,
        countResample(0, 151, 1)(toUInt8(if(latency_ms < 8, latency_ms, if(latency_ms < 4194304, floor(7 * log2(latency_ms)) - 13, floor(log2(latency_ms)) + 119)))) AS latency_histogram
    FROM llm_requests FINAL
    GROUP BY day, feature, customer, model, provider, env, currency
);

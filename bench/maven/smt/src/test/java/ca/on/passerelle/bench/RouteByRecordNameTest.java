package ca.on.passerelle.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class RouteByRecordNameTest {

    private final RouteByRecordName<SinkRecord> transform = new RouteByRecordName<>();

    private static SinkRecord record(String topic, Schema schema, Object value) {
        return new SinkRecord(topic, 2, Schema.STRING_SCHEMA, "b7d1c6e2-0d7a-4c55-9d1e-0f6f7a1d2c3b", schema, value, 41L);
    }

    @Test
    void anEventIsRoutedToTheTableOfItsRecordNameAndKeepsItsOriginalTopicForOffsets() {
        Schema schema = SchemaBuilder.struct().name("ca.on.passerelle.v1.ServiceGapResolved").field("gapId", Schema.STRING_SCHEMA).build();
        Struct value = new Struct(schema).put("gapId", "b7d1c6e2-0d7a-4c55-9d1e-0f6f7a1d2c3b");

        SinkRecord routed = transform.apply(record("bench-1-connect.health.service-gaps.v1", schema, value));

        assertEquals("service_gap_resolved", routed.topic());
        assertEquals("bench-1-connect.health.service-gaps.v1", routed.originalTopic());
        assertEquals(41L, routed.originalKafkaOffset());
        assertSame(value, routed.value());
        assertEquals("b7d1c6e2-0d7a-4c55-9d1e-0f6f7a1d2c3b", routed.key());
    }

    @Test
    void namesBecomeLowerCaseIdentifiersWordByWord() {
        assertEquals("referral_created", RouteByRecordName.tableName("ca.on.passerelle.v1.ReferralCreated"));
        assertEquals("initiative_milestone_recorded", RouteByRecordName.tableName("InitiativeMilestoneRecorded"));
        assertEquals("http_request_v2_seen", RouteByRecordName.tableName("x.HTTPRequestV2-Seen"));
    }

    @Test
    void aRecordWithoutANamedValueSchemaPassesUnchanged() {
        SinkRecord tombstone = record("justice.referrals.v1", null, null);

        assertSame(tombstone, transform.apply(tombstone));
    }
}

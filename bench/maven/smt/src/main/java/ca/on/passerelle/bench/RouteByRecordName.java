package ca.on.passerelle.bench;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * Sets a record's topic to a table name derived from its value schema's record name:
 * {@code ca.on.passerelle.v1.ReferralCreated} becomes {@code referral_created}.
 *
 * <p>Passerelle's family topics carry several event types each (ServiceGapReported and
 * ServiceGapResolved on one topic), so a JDBC sink that names tables after topics tries to
 * fit different schemas into one table. Kafka and Debezium only route by topic name; this
 * routes by what the record is. Records without a named value schema (tombstones) pass as
 * they are. Sink tasks still commit offsets against the original topic (SinkRecord keeps it).
 */
public final class RouteByRecordName<R extends ConnectRecord<R>> implements Transformation<R> {

    private static final Pattern LOWER_THEN_UPPER = Pattern.compile("([a-z0-9])([A-Z])");
    private static final Pattern ACRONYM_THEN_WORD = Pattern.compile("([A-Z]+)([A-Z][a-z])");
    private static final Pattern NOT_IDENTIFIER = Pattern.compile("[^a-z0-9_]+");

    /** {@code ReferralCreated} → {@code referral_created}; only lower-case letters, digits and underscores remain. */
    static String tableName(String schemaName) {
        String simple = schemaName.substring(schemaName.lastIndexOf('.') + 1);
        String words = LOWER_THEN_UPPER.matcher(ACRONYM_THEN_WORD.matcher(simple).replaceAll("$1_$2")).replaceAll("$1_$2");
        return NOT_IDENTIFIER.matcher(words.toLowerCase(Locale.ROOT)).replaceAll("_");
    }

    @Override
    public R apply(R record) {
        Schema schema = record.valueSchema();
        if (schema == null || schema.name() == null || schema.name().isBlank()) return record;
        return record.newRecord(
                tableName(schema.name()),
                record.kafkaPartition(),
                record.keySchema(),
                record.key(),
                schema,
                record.value(),
                record.timestamp(),
                record.headers());
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef();
    }

    @Override
    public void configure(Map<String, ?> configs) {
        // Nothing to configure: the name comes from the record.
    }

    @Override
    public void close() {
        // No resources.
    }
}

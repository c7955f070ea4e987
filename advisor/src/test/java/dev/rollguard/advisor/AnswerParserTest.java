package dev.rollguard.advisor;

import static dev.rollguard.advisor.Fixtures.MAPPER;
import static dev.rollguard.advisor.Fixtures.answer;
import static dev.rollguard.advisor.Fixtures.completion;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollguard.advisor.AdviceResult.FailureKind;
import dev.rollguard.advisor.AnswerParser.Invalid;
import dev.rollguard.advisor.AnswerParser.Parsed;
import dev.rollguard.advisor.AnswerParser.Valid;
import dev.rollguard.avro.Action;
import org.junit.jupiter.api.Test;

final class AnswerParserTest {

    private final AnswerParser parser = new AnswerParser(MAPPER, 200);

    private static Invalid invalid(Parsed p) {
        assertThat(p).isInstanceOf(Invalid.class);
        return (Invalid) p;
    }

    @Test
    void acceptsAJsonAnswerWrappedInAMarkdownFence() {
        Parsed p = parser.parseContent("```json\n" + answer("HOLD", 10, 0.4, "Wait.") + "\n```");
        assertThat(p).isEqualTo(new Valid(Action.HOLD, 10, 0.4, "Wait.", java.util.List.of()));
    }

    @Test
    void forgivesTheCaseOfTheAction() {
        assertThat(((Valid) parser.parseContent(answer("rollback", 0, 0.9, "Errors up."))).action())
                .isEqualTo(Action.ROLLBACK);
    }

    @Test
    void acceptsAnIntegralPercentWrittenAsADecimal() {
        assertThat(((Valid) parser.parseContent(answer("INCREASE", "25.0", 0.9, "ok"))).percent()).isEqualTo(25);
    }

    @Test
    void rejectsAFractionalPercent() {
        Invalid i = invalid(parser.parseContent(answer("INCREASE", 25.5, 0.9, "ok")));
        assertThat(i.reason()).isEqualTo("percent is not an integer: 25.5");
        assertThat(i.raw().percent()).as("no rounded value is invented").isNull();
    }

    @Test
    void rejectsAPercentGivenAsAString() {
        assertThat(invalid(parser.parseContent(answer("INCREASE", "\"25\"", 0.9, "ok"))).reason())
                .isEqualTo("percent is not a number: \"25\"");
    }

    @Test
    void rejectsANegativePercent() {
        assertThat(invalid(parser.parseContent(answer("ROLLBACK", -5, 0.9, "ok"))).reason())
                .isEqualTo("percent out of range 0..100: -5");
    }

    @Test
    void namesEachMissingField() {
        assertThat(invalid(parser.parseContent("{\"percent\":10,\"confidence\":0.5,\"explanation\":\"x\"}")).reason())
                .isEqualTo("missing field: action");
        assertThat(invalid(parser.parseContent("{\"action\":\"HOLD\",\"confidence\":0.5,\"explanation\":\"x\"}")).reason())
                .isEqualTo("missing field: percent");
        assertThat(invalid(parser.parseContent("{\"action\":\"HOLD\",\"percent\":10,\"explanation\":\"x\"}")).reason())
                .isEqualTo("missing field: confidence");
        assertThat(invalid(parser.parseContent("{\"action\":\"HOLD\",\"percent\":10,\"confidence\":0.5}")).reason())
                .isEqualTo("missing field: explanation");
    }

    @Test
    void clampsANegativeConfidenceToZero() {
        Valid v = (Valid) parser.parseContent(answer("HOLD", 10, -0.2, "x"));
        assertThat(v.confidence()).isZero();
        assertThat(v.adjustments()).containsExactly("confidence clamped from -0.2 to 0.0");
    }

    @Test
    void rejectsJsonThatIsNotAnObject() {
        assertThat(invalid(parser.parseContent("[\"HOLD\", 10]")).reason()).isEqualTo("content is JSON but not an object");
    }

    @Test
    void treatsNullFinishReasonAsComplete() {
        assertThat(parser.parseCompletion(completion(answer("HOLD", 10, 0.5, "x"), null))).isInstanceOf(Valid.class);
    }

    @Test
    void reportsACompletionWithoutChoicesAsAnHttpError() {
        Invalid i = invalid(parser.parseCompletion("{\"object\":\"chat.completion\",\"choices\":[]}"));
        assertThat(i.kind()).isEqualTo(FailureKind.HTTP_ERROR);
        assertThat(i.reason()).isEqualTo("response has no choices[0]");
    }

    @Test
    void reportsEmptyContentAsInvalid() {
        Invalid i = invalid(parser.parseCompletion(completion("  ", "stop")));
        assertThat(i.kind()).isEqualTo(FailureKind.INVALID_ANSWER);
        assertThat(i.reason()).isEqualTo("choices[0].message.content is empty");
    }
}

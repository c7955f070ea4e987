package dev.rollguard.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaParseException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code .avsc} must read data written by its previous committed version (Avro's own
 * {@link SchemaCompatibility}), and every field added since then must have a default: data already in the topics
 * stays readable as the contract evolves.
 *
 * <p>"Previous committed version" is the newest version in git history that differs from the working tree: before a
 * commit that is HEAD's version, after it the one before. Named types are resolved per commit (common/ first, as the
 * build does), so a change to {@code Exposure} is also checked through {@code RequestMetric}. A file without history
 * passes; outside a git checkout (a source tarball) the test is skipped.
 */
class SchemaEvolutionTest {
  private static final Path MODULE = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
      .toAbsolutePath().normalize();
  private static final Path AVRO = MODULE.resolve("src/main/avro");

  @TestFactory
  Stream<DynamicTest> everySchemaReadsDataWrittenByItsPreviousCommittedVersion() throws IOException {
    Path root = repositoryRoot(MODULE);
    Assumptions.assumeTrue(root != null, "not a git checkout: no history to compare with");
    String avroInRepo = root.relativize(AVRO).toString().replace('\\', '/');
    Git git = new Git(root);

    List<String> files;
    try (Stream<Path> paths = Files.walk(AVRO)) {
      files = paths.filter(p -> p.toString().endsWith(".avsc"))
          .map(p -> AVRO.relativize(p).toString().replace('\\', '/')).toList();
    }
    Map<String, Schema> current = parseAll(files, f -> read(AVRO.resolve(f)));
    List<String> commits = git.lines("log", "--format=%H", "--", avroInRepo);
    Map<String, Optional<Map<String, Schema>>> byCommit = new HashMap<>();
    Function<String, Optional<Map<String, Schema>>> versionsAt = commit -> byCommit.computeIfAbsent(commit, c -> {
      List<String> there = git.lines("ls-tree", "-r", "--name-only", c, "--", avroInRepo + "/").stream()
          .filter(p -> p.endsWith(".avsc")).map(p -> p.substring(avroInRepo.length() + 1)).toList();
      try {
        return Optional.of(parseAll(there, f -> git.text("show", c + ":" + avroInRepo + "/" + f)));
      } catch (SchemaParseException e) {
        // A commit whose schemas did not even parse was never a version anyone could write with.
        return Optional.empty();
      }
    });

    return current.keySet().stream().sorted().map(file -> {
      Schema now = current.get(file);
      for (String commit : commits) {
        Schema before = versionsAt.apply(commit).map(v -> v.get(file)).orElse(null);
        if (before != null && !before.equals(now)) {
          return DynamicTest.dynamicTest(file + " reads data written by its version in " + commit.substring(0, 10),
              () -> assertEvolvesSafely(file, before, now));
        }
      }
      return DynamicTest.dynamicTest(file + " has no earlier committed version",
          () -> assertThat(now).isNotNull());
    });
  }

  private static void assertEvolvesSafely(String file, Schema before, Schema now) {
    SchemaCompatibility.SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(now, before);
    if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
      StringBuilder why = new StringBuilder(file + " cannot read data written by its previous version:");
      result.getResult().getIncompatibilities().forEach(i ->
          why.append("\n  ").append(i.getType()).append(" at ").append(i.getLocation()).append(": ").append(i.getMessage()));
      fail(why.toString());
    }
    assertThat(addedFieldsWithoutDefault(before, now))
        .as(file + ": every field added since the previous version needs a default")
        .isEmpty();
  }

  // ---------------------------------------------------------------- the rule, and tests of the rule itself

  /** Fields of records present in both versions that are new in {@code now} and have no default, as Record.field. */
  static List<String> addedFieldsWithoutDefault(Schema before, Schema now) {
    Map<String, Schema> oldRecords = new HashMap<>();
    records(before, oldRecords, new HashSet<>());
    Map<String, Schema> newRecords = new LinkedHashMap<>();
    records(now, newRecords, new HashSet<>());
    List<String> missing = new ArrayList<>();
    newRecords.forEach((name, record) -> {
      Schema old = oldRecords.get(name);
      for (String alias : record.getAliases()) {
        old = old != null ? old : oldRecords.get(alias);
      }
      if (old == null) {
        return;
      }
      Schema previous = old;
      for (Schema.Field f : record.getFields()) {
        boolean existed = previous.getField(f.name()) != null
            || f.aliases().stream().anyMatch(a -> previous.getField(a) != null);
        if (!existed && !f.hasDefaultValue()) {
          missing.add(record.getName() + "." + f.name());
        }
      }
    });
    return missing;
  }

  private static void records(Schema s, Map<String, Schema> into, Set<String> seen) {
    switch (s.getType()) {
      case RECORD -> {
        if (seen.add(s.getFullName())) {
          into.put(s.getFullName(), s);
          s.getFields().forEach(f -> records(f.schema(), into, seen));
        }
      }
      case ARRAY -> records(s.getElementType(), into, seen);
      case MAP -> records(s.getValueType(), into, seen);
      case UNION -> s.getTypes().forEach(t -> records(t, into, seen));
      default -> { }
    }
  }

  private static Schema record(String fieldsJson) {
    return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":["
        + fieldsJson + "]}");
  }

  @Test
  void aFieldAddedWithoutADefaultBreaksTheRule() {
    Schema before = record("{\"name\":\"a\",\"type\":\"string\"}");
    Schema now = record("{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\"}");
    assertThat(addedFieldsWithoutDefault(before, now)).containsExactly("R.b");
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(now, before).getType())
        .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
  }

  @Test
  void aFieldAddedWithADefaultIsAllowedEvenInsideANestedRecord() {
    Schema before = record("{\"name\":\"n\",\"type\":{\"type\":\"record\",\"name\":\"N\",\"fields\":["
        + "{\"name\":\"x\",\"type\":\"long\"}]}}");
    Schema nowOk = record("{\"name\":\"n\",\"type\":{\"type\":\"record\",\"name\":\"N\",\"fields\":["
        + "{\"name\":\"x\",\"type\":\"long\"},{\"name\":\"y\",\"type\":[\"null\",\"string\"],\"default\":null}]}}");
    Schema nowBad = record("{\"name\":\"n\",\"type\":{\"type\":\"record\",\"name\":\"N\",\"fields\":["
        + "{\"name\":\"x\",\"type\":\"long\"},{\"name\":\"y\",\"type\":[\"null\",\"string\"]}]}}");
    assertThat(addedFieldsWithoutDefault(before, nowOk)).isEmpty();
    assertThat(addedFieldsWithoutDefault(before, nowBad)).containsExactly("N.y");
  }

  @Test
  void aRenameThroughAnAliasIsNotAnAddition() {
    Schema before = record("{\"name\":\"old\",\"type\":\"string\"}");
    Schema now = record("{\"name\":\"renamed\",\"aliases\":[\"old\"],\"type\":\"string\"}");
    assertThat(addedFieldsWithoutDefault(before, now)).isEmpty();
  }

  // ---------------------------------------------------------------- parsing and git

  /** Parses one version of the contract: shared types in common/ first, as the avro-maven-plugin imports them. */
  private static Map<String, Schema> parseAll(List<String> files, Function<String, String> content) {
    Schema.Parser parser = new Schema.Parser();
    Map<String, Schema> out = new LinkedHashMap<>();
    files.stream()
        .sorted(Comparator.comparing((String f) -> !f.startsWith("common/")).thenComparing(f -> f))
        .forEach(f -> out.put(f, parser.parse(content.apply(f))));
    return out;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The nearest directory upwards holding {@code .git} (a directory, or a file in a worktree), or null. */
  static Path repositoryRoot(Path from) {
    for (Path p = from; p != null; p = p.getParent()) {
      if (Files.exists(p.resolve(".git"))) {
        return p;
      }
    }
    return null;
  }

  private record Git(Path root) {
    List<String> lines(String... args) {
      return text(args).lines().filter(l -> !l.isBlank()).toList();
    }

    String text(String... args) {
      List<String> command = new ArrayList<>(List.of("git", "-c", "safe.directory=*", "-C", root.toString()));
      command.addAll(List.of(args));
      try {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IllegalStateException("git " + String.join(" ", args) + " failed in " + root);
        }
        return out;
      } catch (IOException e) {
        Assumptions.abort("git is not installed: " + e.getMessage());
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}

package dev.rollguard.connectors.unleash;

import java.util.List;
import java.util.Optional;

/** A feature flag with its environments, as {@code GET /api/admin/projects/{project}/features/{flag}} returns it. */
public record FeatureFlag(String name, String project, boolean archived, List<FeatureEnvironment> environments) {

  public Optional<FeatureEnvironment> environment(String environment) {
    return environments.stream().filter(e -> e.name().equals(environment)).findFirst();
  }
}

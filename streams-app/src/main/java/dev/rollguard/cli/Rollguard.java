package dev.rollguard.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code rollguard} command: one subcommand per run mode. */
@Command(
    name = "rollguard",
    mixinStandardHelpOptions = true,
    version = "rollguard 0.1.0",
    description = "Closed-loop rollout analyzer for Unleash feature flags.",
    subcommands = {DemoCommand.class, RunCommand.class, SimulateCommand.class})
public final class Rollguard implements Callable<Integer> {

  public static void main(String[] args) {
    System.exit(new CommandLine(new Rollguard()).execute(args));
  }

  @Override
  public Integer call() {
    new CommandLine(this).usage(System.out);
    return 0;
  }
}

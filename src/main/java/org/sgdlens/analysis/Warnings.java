package org.sgdlens.analysis;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Skipped runs and steps: logged as they happen and kept for the job's result object. */
final class Warnings {
  private static final Logger LOG = LoggerFactory.getLogger("org.sgdlens.analysis");
  private final List<String> messages = new ArrayList<>();

  void add(String message) {
    LOG.warn(message);
    messages.add(message);
  }

  List<String> list() {
    return List.copyOf(messages);
  }
}

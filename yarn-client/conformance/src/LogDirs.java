import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;

/**
 * Container log directories on the NodeManagers' disks. A Hadoop NM gives each container the
 * log directory {@code <yarn.nodemanager.log-dirs entry>/<application id>/<container id>} and
 * substitutes it for {@code <LOG_DIR>} in the launch command.
 */
final class LogDirs {
  private static final int SEARCH_DEPTH = 6;

  private LogDirs() {}

  /** The first {@code <root>/<appId>/container_*} directory, or null. */
  static File findApplicationContainerDir(List<String> roots, ApplicationId appId) {
    for (String root : roots) {
      File[] children = new File(root, appId.toString()).listFiles();
      if (children == null) {
        continue;
      }
      for (File child : children) {
        if (child.isDirectory() && child.getName().startsWith("container_")) {
          return child;
        }
      }
    }
    return null;
  }

  /** The file {@code <root>/<appId>/<containerId>/<name>} in the first root that has it, or null. */
  static File containerFile(List<String> roots, ApplicationId appId, ContainerId containerId,
      String name) {
    for (String root : roots) {
      File file = new File(new File(new File(root, appId.toString()), containerId.toString()), name);
      if (file.isFile()) {
        return file;
      }
    }
    return null;
  }

  /** Files named {@code name} in a directory named after the container, anywhere under the roots. */
  static List<Path> findAnywhere(List<String> roots, ContainerId containerId, String name) {
    List<Path> found = new ArrayList<>();
    for (String root : roots) {
      try (Stream<Path> paths = Files.walk(Path.of(root), SEARCH_DEPTH)) {
        paths.filter(p -> p.getFileName() != null && p.getFileName().toString().equals(name)
                && p.getParent() != null
                && p.getParent().getFileName().toString().equals(containerId.toString()))
            .forEach(found::add);
      } catch (IOException | RuntimeException e) {
        // An unreadable or missing root: nothing found there.
      }
    }
    return found;
  }
}

/*
 * Starts Apache Solr for inventur's local development portal: Solr's own embedded Jetty server
 * (JettySolrRunner, from solr-test-framework) serving one Solr home on 127.0.0.1 at a private port.
 * Run as a single source file, no build step:
 *
 *   java -cp <Solr's class path> Launcher.java SOLR_HOME PORT PID_FILE
 *
 * It exits with status 1 when a core fails to load, and shuts Solr down cleanly on SIGTERM. Like
 * PostgreSQL with its postmaster.pid, it stops by itself once PID_FILE no longer names it (the portal
 * was taken down or its folder removed), so no Solr outlives its portal.
 */

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

public class Launcher {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: java Launcher.java SOLR_HOME PORT PID_FILE");
      System.exit(2);
    }
    Path home = Path.of(args[0]);
    int port = Integer.parseInt(args[1]);
    Path pidFile = Path.of(args[2]);
    JettyConfig config =
        JettyConfig.builder().setPort(port).setContext("/solr").withPortRetryTime(1).build();
    JettySolrRunner solr = new JettySolrRunner(home.toString(), config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(solr)));
    solr.start();
    var failures = solr.getCoreContainer().getCoreInitFailures();
    if (!failures.isEmpty()) {
      failures.forEach((core, failure) -> {
        System.err.println("core " + core + " failed to load:");
        failure.exception.printStackTrace();
      });
      System.exit(1);
    }
    System.out.println("Solr ready on " + solr.getBaseUrl() + " (home " + home + ")");
    String self = Long.toString(ProcessHandle.current().pid());
    int missing = 0;
    while (true) {
      Thread.sleep(5000);
      String named = Files.isRegularFile(pidFile) ? Files.readString(pidFile).trim() : "";
      missing = named.equals(self) ? 0 : missing + 1;
      if (missing >= 3) { // 15 s: a new pid file is written within moments of a start
        System.out.println("the pid file " + pidFile + " no longer names this process: stopping");
        System.exit(0);
      }
    }
  }

  private static void stop(JettySolrRunner solr) {
    try {
      solr.stop();
    } catch (Exception e) {
      e.printStackTrace();
    }
  }
}

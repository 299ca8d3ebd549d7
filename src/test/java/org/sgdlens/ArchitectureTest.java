package org.sgdlens;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Imports flow one way: cli -> sweep -> analysis/record -> kernel/lake (cli -> analysis directly
 * too); cli -> report -> analysis (the HTML report reads result tables through analysis). analysis
 * and record never see each other.
 */
class ArchitectureTest {
  static JavaClasses classes;

  @BeforeAll
  static void load() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.sgdlens");
  }

  @Test
  void kernelIsPureJava() {
    noClasses()
        .that()
        .resideInAPackage("org.sgdlens.kernel..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.spark..",
            "ai.djl..",
            "org.apache.hadoop..",
            "org.apache.parquet..",
            "org.slf4j..",
            "org.apache.logging..",
            "java.nio.file..",
            "java.net..",
            "org.sgdlens.lake..",
            "org.sgdlens.record..",
            "org.sgdlens.curvature..",
            "org.sgdlens.analysis..",
            "org.sgdlens.cli..")
        .check(classes);
  }

  @Test
  void kernelDoesNoIo() {
    // Serializable is a marker Spark needs to ship kernel values to tasks; everything else in
    // java.io (files, streams, printing) stays out of the kernel.
    noClasses()
        .that()
        .resideInAPackage("org.sgdlens.kernel..")
        .should()
        .dependOnClassesThat(
            JavaClass.Predicates.resideInAPackage("java.io")
                .and(
                    DescribedPredicate.not(
                        JavaClass.Predicates.equivalentTo(java.io.Serializable.class))))
        .check(classes);
  }

  @Test
  void lakeKnowsNeitherSparkNorDjl() {
    noClasses()
        .that()
        .resideInAPackage("org.sgdlens.lake..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.spark..",
            "ai.djl..",
            "org.sgdlens.record..",
            "org.sgdlens.analysis..",
            "org.sgdlens.cli..")
        .check(classes);
  }

  @Test
  void recordHasNoSpark() {
    noClasses()
        .that()
        .resideInAPackage("org.sgdlens.record..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.spark..", "org.sgdlens.analysis..", "org.sgdlens.cli..")
        .check(classes);
  }

  @Test
  void curvatureIsRecordSideWithoutSpark() {
    // The Hessian engine runs on DJL over recorded weights, beside record; only entry points and
    // sweeps may call it, and it never reaches Spark, analysis or the entry points.
    noClasses()
        .that()
        .resideInAPackage("org.sgdlens.curvature..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.spark..",
            "org.sgdlens.analysis..",
            "org.sgdlens.report..",
            "org.sgdlens.sweep..",
            "org.sgdlens.cli..")
        .check(classes);
    noClasses()
        .that()
        .resideInAnyPackage(
            "org.sgdlens.kernel..",
            "org.sgdlens.lake..",
            "org.sgdlens.record..",
            "org.sgdlens.analysis..",
            "org.sgdlens.report..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.sgdlens.curvature..")
        .check(classes);
  }

  @Test
  void onlyEntryPointsUseSweeps() {
    // sweep orchestrates record (training in Spark tasks) and analysis; only cli sits above it.
    noClasses()
        .that()
        .resideInAnyPackage(
            "org.sgdlens.kernel..",
            "org.sgdlens.lake..",
            "org.sgdlens.record..",
            "org.sgdlens.analysis..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.sgdlens.sweep..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("org.sgdlens.sweep..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.sgdlens.cli..")
        .check(classes);
  }

  @Test
  void analysisNeverImportsRecord() {
    // The two sides meet only in the lake: analysis reads what the recorder wrote through lake's
    // schemas, never its classes, so an analysis job needs no DJL and no PyTorch native.
    noClasses()
        .that()
        .resideInAPackage("org.sgdlens.analysis..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.sgdlens.record..", "ai.djl..")
        .check(classes);
  }

  @Test
  void analysisDoesNotReachIntoEntryPoints() {
    noClasses()
        .that()
        .resideInAPackage("org.sgdlens.analysis..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.sgdlens.cli..")
        .check(classes);
  }

  @Test
  void reportSitsBetweenEntryPointsAndAnalysis() {
    noClasses()
        .that()
        .resideInAPackage("org.sgdlens.report..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.sgdlens.cli..", "org.sgdlens.record..", "ai.djl..")
        .check(classes);
    noClasses()
        .that()
        .resideInAnyPackage(
            "org.sgdlens.kernel..",
            "org.sgdlens.lake..",
            "org.sgdlens.record..",
            "org.sgdlens.analysis..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.sgdlens.report..")
        .check(classes);
  }
}

package org.diffusion4j;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layout of the core, checked on its compiled classes: data flows one way through the
 * layers (no package imports a package above it), the model families do not depend on each
 * other, and the public API speaks neither Gson nor any command-line library.
 */
class ArchitectureTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.diffusion4j");

    @Test
    void theCoreHoldsOnlyLibraryPackages() {
        List<String> packages = CORE.stream().map(JavaClass::getPackageName).distinct().sorted().toList();
        for (String p : packages) {
            assertTrue(p.matches("org\\.diffusion4j(\\.(diffusion|nn|io|data|train|ddpm|ddpm\\.net|ddpm\\.diffusers|vae|classifier|latent|pipeline|eval))?"),
                    "unexpected package in the core: " + p);
        }
        assertTrue(packages.contains("org.diffusion4j.ddpm.net"), "the class files were found: " + packages);
    }

    @Test
    void noPackageImportsAPackageAboveIt() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("base").definedBy("org.diffusion4j", "org.diffusion4j.io..", "org.diffusion4j.nn..")
                .layer("maths").definedBy("org.diffusion4j.diffusion..")
                .layer("data").definedBy("org.diffusion4j.data..")
                .layer("train").definedBy("org.diffusion4j.train..")
                .layer("families").definedBy("org.diffusion4j.ddpm..", "org.diffusion4j.vae..", "org.diffusion4j.classifier..",
                        "org.diffusion4j.latent..")
                .layer("pipelines").definedBy("org.diffusion4j.pipeline..")
                .layer("eval").definedBy("org.diffusion4j.eval..")
                .whereLayer("eval").mayNotBeAccessedByAnyLayer()
                .whereLayer("pipelines").mayNotBeAccessedByAnyLayer()
                .whereLayer("families").mayOnlyBeAccessedByLayers("pipelines", "eval")
                .whereLayer("train").mayOnlyBeAccessedByLayers("families", "pipelines", "eval")
                .whereLayer("data").mayOnlyBeAccessedByLayers("train", "families", "pipelines", "eval")
                .whereLayer("maths").mayOnlyBeAccessedByLayers("families", "pipelines", "eval")
                .check(CORE);
    }

    @Test
    void theModelFamiliesAreIndependent() {
        slices().matching("org.diffusion4j.(ddpm|vae|classifier|latent)..").namingSlices("$1")
                .should().notDependOnEachOther().check(CORE);
    }

    @Test
    void theDiffusionMathsNeverSeesANetworkOrAnImage() {
        noClasses().that().resideInAPackage("org.diffusion4j.diffusion..")
                .should().dependOnClassesThat().resideInAnyPackage("org.diffusion4j.ddpm..", "org.diffusion4j.nn..",
                        "org.diffusion4j.io..", "java.awt..", "javax.imageio..")
                .check(CORE);
    }

    @Test
    void theCoreNeedsNoCommandLineLibraries() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("picocli..", "me.tongfei..", "org.knowm..",
                "org.junit..").check(CORE);
    }

    @Test
    void gsonStaysInside() {
        DescribedPredicate<JavaClass> gson = DescribedPredicate.describe("a Gson type",
                c -> c.getPackageName().startsWith("com.google.gson"));
        List<String> leaks = new ArrayList<>();
        for (JavaClass c : CORE) {
            if (!c.getModifiers().contains(JavaModifier.PUBLIC)) {
                continue;
            }
            for (JavaCodeUnit u : c.getCodeUnits()) {
                if (exposed(u.getModifiers()) && (gson.test(u.getRawReturnType())
                        || u.getRawParameterTypes().stream().anyMatch(gson::test))) {
                    leaks.add(u.getFullName());
                }
            }
            for (JavaField f : c.getFields()) {
                if (exposed(f.getModifiers()) && gson.test(f.getRawType())) {
                    leaks.add(f.getFullName());
                }
            }
        }
        assertEquals(List.of(), leaks, "public API that exposes Gson");
    }

    private static boolean exposed(java.util.Set<JavaModifier> m) {
        return m.contains(JavaModifier.PUBLIC) || m.contains(JavaModifier.PROTECTED);
    }
}

package dev.mainstay.server.stream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven by its chromedriver through Selenium, with a fresh profile.
 * No browser is downloaded: the packages {@code chromium} and {@code chromium-driver} must be there.
 */
public final class Browser implements AutoCloseable {
    private final ChromeDriver driver;
    private final Path profile;

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** Whether the browser and its driver are installed. */
    public static boolean installed() {
        return Files.isExecutable(Path.of("/usr/bin/chromedriver")) && Files.isExecutable(Path.of("/usr/bin/chromium"));
    }

    public static Browser start() throws IOException {
        Path profile = Files.createTempDirectory("mainstay-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
        return new Browser(driver, profile);
    }

    public void open(String url) {
        driver.get(url);
    }

    /** Runs {@code script} in the page and returns what it returns. */
    public Object run(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** The driver itself, for what the helpers here do not cover. */
    public ChromeDriver driver() {
        return driver;
    }

    /** The element with {@code id}, once the page has it (10 s at most). */
    public org.openqa.selenium.WebElement element(String id) {
        return new org.openqa.selenium.support.ui.WebDriverWait(driver, Duration.ofSeconds(10))
                .until(d -> d.findElement(org.openqa.selenium.By.id(id)));
    }

    /** Replaces the value of the control {@code id} with {@code text}. */
    public void type(String id, String text) {
        org.openqa.selenium.WebElement e = element(id);
        e.clear();
        e.sendKeys(text);
    }

    /** Clicks the element {@code id} and waits for the page it leads to, if any. */
    public void click(String id) {
        element(id).click();
        new org.openqa.selenium.support.ui.WebDriverWait(driver, Duration.ofSeconds(10))
                .until(d -> "complete".equals(((JavascriptExecutor) d).executeScript("return document.readyState")));
    }

    /** Follows the link whose text is {@code text}. */
    public void clickLink(String text) {
        driver.findElement(org.openqa.selenium.By.linkText(text)).click();
        new org.openqa.selenium.support.ui.WebDriverWait(driver, Duration.ofSeconds(10))
                .until(d -> "complete".equals(((JavascriptExecutor) d).executeScript("return document.readyState")));
    }

    /**
     * The visible text of the element {@code id} (or of {@code main}), once the page has it (10 s at
     * most). Read in one script, so that a live page replacing the element meanwhile cannot make it stale.
     */
    public String text(String id) {
        String script = id.equals("main") ? "var e = document.querySelector('main'); return e ? e.innerText.trim() : null;"
                : "var e = document.getElementById(arguments[0]); return e ? e.innerText.trim() : null;";
        return new org.openqa.selenium.support.ui.WebDriverWait(driver, Duration.ofSeconds(10))
                .until(d -> (String) ((JavascriptExecutor) d).executeScript(script, id));
    }

    /** Saves what the window shows as a PNG. */
    public void screenshot(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, driver.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
    }

    public String title() {
        return driver.getTitle();
    }

    public String pageText() {
        return driver.findElement(org.openqa.selenium.By.tagName("body")).getText();
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}

"""Drives the web console in headless Chromium (Debian's chromium + chromium-driver, Selenium).

Called by crates/console/tests/console/ui.rs with a running Console and a real local registry:
logs in, adds the registry, scans and watches progress, opens an image and finds a known CVE,
filters by severity, downloads the CSV, checks that hostile names render as text, that a change
without the CSRF token is refused, runs axe-core on every page, and logs out. Prints one JSON
report line last; exits non-zero on the first failed check. With a screenshot directory it also
saves every page at 1440x900 and 390x844.
"""

import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE, USER, PASSWORD, REGISTRY, AXE, SHOTS, KNOWN_CVE, IMAGES = sys.argv[1:9]
IMAGES = int(IMAGES)
HOSTILE_TEXT = '<img src=x onerror="window.__pwned=1">'
report = {"axe": {}, "progress_states": [], "screenshots": 0}


def check(cond, what):
    if not cond:
        print(json.dumps(report))
        raise SystemExit(f"FAILED: {what}; {diagnose()}")


opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--no-proxy-server", "--window-size=1440,900", "--force-prefers-reduced-motion"]:
    opts.add_argument(a)
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
driver.set_script_timeout(60)
wait = WebDriverWait(driver, 60, poll_frequency=0.05)
AXE_SOURCE = open(AXE, encoding="utf-8").read()


def diagnose():
    """What the page shows and logged, for a failure message."""
    try:
        logs = [e["message"] for e in driver.get_log("browser")]
        main = driver.execute_script("const m=document.getElementById('main'); return m ? m.getAttribute('data-ready') + ' | ' + m.innerText.slice(0, 500) : 'no main'")
        return f"url={driver.current_url} main={main!r} logs={logs}"
    except Exception as e:  # the browser may be gone
        return f"(no diagnosis: {e})"


def ready(page):
    try:
        wait_ready(page)
    except Exception as e:
        print(json.dumps(report))
        raise SystemExit(f"FAILED: page {page} not ready: {type(e).__name__}; {diagnose()}")


def wait_ready(page):
    wait.until(lambda d: d.execute_script(
        "const m=document.getElementById('main');return m && m.getAttribute('data-ready')===arguments[0] && !m.querySelector('[aria-busy=true]')",
        page))


def go(hash_, page):
    driver.execute_script("document.getElementById('main').removeAttribute('data-ready'); location.hash = arguments[0];", hash_)
    ready(page)


def axe(name):
    driver.execute_script(AXE_SOURCE)
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length-1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes.slice(0,3).map(n => n.target.join(' '))}))));")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    report["axe"][name] = [f'{v["id"]}:{v["impact"]}' for v in violations]
    check(not bad, f"axe on {name}: {bad}")


def both_widths(name):
    """axe and screenshots (when asked) at both sizes, and in dark mode: the phone layout and the
    dark palette are other pages as far as contrast and reach go."""
    for (w, h, scheme, suffix) in [(390, 844, "light", ""), (1440, 900, "dark", "-dark"), (1440, 900, "light", "")]:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 500})
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                               {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        time.sleep(0.2)  # layout after a viewport change; nothing is polled here
        axe(f"{name}-{w}{suffix}")
        if SHOTS:
            driver.save_screenshot(f"{SHOTS}/{name}-{w}x{h}{suffix}.png")
            report["screenshots"] += 1


def pwned():
    return driver.execute_script("return window.__pwned === 1")


# --- Login -----------------------------------------------------------------------------------
driver.get(BASE + "/")
ready("login")
both_widths("login")
headers = driver.execute_async_script(
    "const done=arguments[arguments.length-1]; fetch('/').then(r => done({csp: r.headers.get('content-security-policy'), ct: r.headers.get('content-type')}));")
check("script-src 'self'" in (headers["csp"] or "") and "frame-ancestors 'none'" in headers["csp"], f"CSP: {headers}")
driver.find_element(By.ID, "login-user").send_keys(USER)
driver.find_element(By.ID, "login-pass").send_keys("wrong-password")
driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "main .error"))
driver.find_element(By.ID, "login-pass").send_keys(PASSWORD)
driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
ready("overview")
report["logged_in"] = True
cookie = driver.get_cookie("crowsnest_session")
check(cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict", f"cookie flags: {cookie}")
check(driver.execute_script("return document.cookie.includes('crowsnest_session')") is False, "script can read the cookie")

# --- CSRF: a change with the cookie alone is refused; with the token it is not ----------------
csrf = driver.execute_async_script("""
const done = arguments[arguments.length-1];
(async () => {
  const without = await fetch('/api/v1/registry/stop', {method: 'POST', credentials: 'same-origin'});
  const wrong = await fetch('/api/v1/registry/stop', {method: 'POST', credentials: 'same-origin', headers: {'X-CSRF-Token': 'f00'}});
  const s = await (await fetch('/ui/session', {credentials: 'same-origin'})).json();
  const withToken = await fetch('/api/v1/statuses/registry', {credentials: 'same-origin'});
  done({without: without.status, wrong: wrong.status, get: withToken.status, hasToken: !!s.csrfToken});
})();""")
check(csrf["without"] == 403 and csrf["wrong"] == 403 and csrf["get"] == 200 and csrf["hasToken"], f"CSRF: {csrf}")
report["csrf"] = csrf

# --- Registries: add one against the real registry, scan, watch progress without reload ------
go("#/registries", "registries")
driver.execute_script("window.__sameDocument = 'yes'")
driver.find_element(By.ID, "add-registry").click()
driver.find_element(By.ID, "s-registry").send_keys("http://bob:secret@127.0.0.1:9")
driver.find_element(By.CSS_SELECTOR, "#spec-form button[type=submit]").click()
wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "section .error"))
check("credential" in driver.find_element(By.CSS_SELECTOR, "section .error").text, "the API validation message")
report["validation_message"] = driver.find_element(By.CSS_SELECTOR, "section .error").text
reg = driver.find_element(By.ID, "s-registry")
reg.clear()
reg.send_keys(REGISTRY)
driver.find_element(By.ID, "s-repository").send_keys("*")
scanners = driver.find_element(By.ID, "s-scanners")
scanners.clear()
scanners.send_keys("1")
driver.find_element(By.CSS_SELECTOR, "#spec-form button[type=submit]").click()
wait.until(lambda d: REGISTRY in d.find_element(By.ID, "main").text and not d.find_elements(By.ID, "spec-form"))
ready("registries")
driver.execute_script("window.__sameDocument = 'yes'")
driver.find_element(By.ID, "start-scan").click()
deadline = time.time() + 120
while time.time() < deadline:
    p = driver.find_element(By.ID, "progress")
    state = (p.get_attribute("data-scanned"), p.get_attribute("data-total"), p.get_attribute("data-ongoing"))
    if state[0] is not None and (not report["progress_states"] or report["progress_states"][-1] != list(state)):
        report["progress_states"].append(list(state))
    if state[2] == "false" and state[1] == str(IMAGES) and state[0] == str(IMAGES):
        break
    time.sleep(0.05)  # sampling the page the browser updates by itself
check(report["progress_states"] and report["progress_states"][-1][0] == str(IMAGES), f"scan did not finish: {report['progress_states']}")
check(driver.execute_script("return window.__sameDocument") == "yes", "the page reloaded")
both_widths("registries")

# --- Images, an image, a known vulnerability ---------------------------------------------------
go("#/images", "images")
rows = driver.find_elements(By.CSS_SELECTOR, "main tbody tr")
check(len(rows) == IMAGES, f"{len(rows)} rows, want {IMAGES}")
both_widths("images")
driver.find_element(By.LINK_TEXT, "apps/python-vuln").click()
ready("image")
cell = driver.find_elements(By.XPATH, f"//main//table//a[text()='{KNOWN_CVE}']")
check(cell, f"{KNOWN_CVE} not on the image page")
severity = cell[0].find_element(By.XPATH, "../following-sibling::td[1]").text.strip().lower()
report["known_cve_severity"] = severity
both_widths("image")
cell = driver.find_element(By.XPATH, f"//main//table//a[text()='{KNOWN_CVE}']")
cell.click()
ready("vulnerability")
check("apps/python-vuln" in driver.find_element(By.ID, "main").text, "the CVE page lists the image")
both_widths("vulnerability")

# --- Filter by severity, then the CSV of the filter --------------------------------------------
go("#/images", "images")
Select(driver.find_element(By.ID, "f-severity")).select_by_value(severity)
driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
wait.until(lambda d: "severity=" in d.current_url)
ready("images")
names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "main tbody tr td:first-child a")]
check("apps/python-vuln" in names and "apps/plain" not in names, f"severity filter: {names}")
report["filtered"] = names
csv = driver.execute_async_script("""
const done = arguments[arguments.length-1];
fetch(document.getElementById('csv').href, {credentials: 'same-origin'}).then(async r => done({status: r.status, type: r.headers.get('content-type'), text: await r.text()}));""")
check(csv["status"] == 200 and csv["type"] == "text/csv" and KNOWN_CVE in csv["text"], f"CSV: {csv['status']} {csv['type']}")
report["csv_lines"] = len(csv["text"].splitlines())

# --- Hostile names render as text, and nothing ran ---------------------------------------------
go("#/images?search=hostile", "images")
driver.find_element(By.LINK_TEXT, "hostile/names").click()
ready("image")
text = driver.execute_script("return document.getElementById('main').textContent")
report["hostile_rendered"] = HOSTILE_TEXT in text
check(HOSTILE_TEXT in text, "the hostile package name is not shown as text")
check("<script>window.__pwned=1</script>" in text, "the hostile label is not shown as text")
check(driver.execute_script("return document.querySelectorAll('main img, main script').length") == 0, "markup from data")
check(not pwned(), "a hostile name ran script")
both_widths("image-hostile")

# --- The other pages ---------------------------------------------------------------------------
for page in ["overview", "policies", "credentials"]:
    go(f"#/{page}", page)
    both_widths(page)
check(not pwned(), "a hostile name ran script")

# --- Logout: the session ends, the cookie no longer works ---------------------------------------
driver.find_element(By.ID, "logout").click()
ready("login")
after = driver.execute_async_script(
    "const done=arguments[arguments.length-1]; fetch('/ui/session',{credentials:'same-origin'}).then(r=>done(r.status));")
check(after == 401, f"session after logout: {after}")
go("#/images", "login")
report["logged_out"] = True
severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "Content Security Policy" in e["message"]]
report["csp_violations"] = len(severe)
check(not severe, f"CSP violations: {severe}")
driver.quit()
print(json.dumps(report))

"""Times the web console's pages in headless Chromium (see main.rs beside this file).

For each scenario: a fresh navigation with the cache disabled, RUNS times; reports the median of
first contentful paint (first render), the console's `crowsnest:ready` mark (the page's data is
in the DOM: interactive), the data request's own duration, and the bytes transferred
(navigation + every resource, headers included), as a Markdown table.
"""

import statistics
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE, USER, PASSWORD, RUNS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-proxy-server",
          "--window-size=1440,900"]:
    opts.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
wait = WebDriverWait(driver, 300, poll_frequency=0.02)
driver.execute_cdp_cmd("Network.enable", {})
driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})

# Log in through the same endpoint the form uses, without landing on the Overview: its totals
# walk every stored result (see BENCHMARKS.md), which is not what is measured here.
driver.get(BASE + "/#/login")
wait.until(lambda d: d.find_elements(By.ID, "login-user"))
status = driver.execute_async_script(
    "const done = arguments[arguments.length-1];"
    "fetch('/ui/login', {method: 'POST', headers: {'Content-Type': 'application/json'},"
    " body: JSON.stringify({username: arguments[0], password: arguments[1]})}).then(r => done(r.status));",
    USER, PASSWORD)
assert status == 200, status

MEASURE = """
const nav = performance.getEntriesByType('navigation')[0];
const fcp = performance.getEntriesByName('first-contentful-paint')[0];
const ready = performance.getEntriesByName('crowsnest:ready')[0];
const res = performance.getEntriesByType('resource');
const data = res.filter(r => r.name.includes('/ui/api/') || r.name.includes('/api/v1/'));
return {
  fcp: fcp ? fcp.startTime : null,
  ready: ready ? ready.startTime : null,
  data_ms: data.reduce((a, r) => a + r.duration, 0),
  bytes: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
  data_bytes: data.reduce((a, r) => a + r.transferSize, 0),
  requests: 1 + res.length,
};
"""

SCENARIOS = [
    ("Login page (no data: baseline)", "#/login", "login"),
    ("Images, first page (name order)", "#/images", "images"),
    ("Images, sorted by vulnerabilities, descending", "#/images?sort=vulnerabilities&reverse=true", "images"),
    ("Images, page 1,000 (offset 49,950)", "#/images?offset=49950", "images"),
    ("Images, search `service-42`", "#/images?search=service-42", "images"),
    ("Images, repository filter", "#/images?repository=team-2/service-42", "images"),
    ("Images, severity high or worse (most images)", "#/images?severity=high", "images"),
    ("Images, fixable only", "#/images?fixable=true", "images"),
    ("Images, severity critical (1 image in 1,000: walks the store)", "#/images?severity=critical", "images"),
]

print("| page | first render (ms) | interactive (ms) | data request (ms) | bytes transferred | of which data | requests |")
print("|---|---:|---:|---:|---:|---:|---:|")
for title, hash_, page in SCENARIOS:
    samples = []
    for _ in range(RUNS):
        driver.get("about:blank")
        driver.get(BASE + "/" + hash_)
        wait.until(lambda d: d.execute_script(
            "return document.getElementById('main') && document.getElementById('main').getAttribute('data-ready') === arguments[0]", page))
        samples.append(driver.execute_script(MEASURE))
    med = lambda k: statistics.median(s[k] for s in samples if s[k] is not None)
    print(f"| {title} | {med('fcp'):.0f} | {med('ready'):.0f} | {med('data_ms'):.0f} | {med('bytes'):,.0f} | {med('data_bytes'):,.0f} | {samples[0]['requests']} |", flush=True)
driver.quit()

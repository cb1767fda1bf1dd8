"""What pyproject.toml cannot say: the packages are found under gdstudio/ (so a new
subpackage needs no edit here), and resources/ at the top of the tree becomes the package
gdstudio.resources, so a wheel carries the shipped data inside the package and
importlib.resources finds it however the wheel is installed (--target, --prefix, --user)."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["gdstudio", "gdstudio.*"]) + ["gdstudio.resources"],
    package_dir={"gdstudio.resources": "resources"},
    package_data={"gdstudio": ["py.typed"], "gdstudio.resources": ["**/*"]},
    exclude_package_data={"gdstudio.resources": ["**/__pycache__/*", "**/*.pyc"]},
)
